# bash completion for persist(1): commands, their options, datastores, and model names from
# persist/*.bal and persist/*/model.bal of the project (-C dir or the current directory).

_persist_models()
{
	local dir=$1 f name
	for f in "$dir"/persist/*.bal "$dir"/persist/*/model.bal; do
		[ -e "$f" ] || continue
		case "$f" in
		*/model.bal) name=${f%/model.bal}; name=${name##*/} ;;
		*) name=${f##*/}; name=${name%.bal} ;;
		esac
		[ "$name" = migrations ] || printf '%s\n' "$name"
	done
}

_persist()
{
	# plain COMP_WORDS, so it works without the bash-completion package too
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local words=("${COMP_WORDS[@]}") cword=$COMP_CWORD

	local commands="init add models generate build check migrate push"
	local datastores="inmemory mysql postgresql mssql h2 redis googlesheets"
	local dir=. cmd= i
	for ((i = 1; i < cword; i++)); do
		case "${words[i]}" in
		-C) dir=${words[i + 1]}; ((i++)) ;;
		-*) ;;
		*) [ -z "$cmd" ] && cmd=${words[i]} ;;
		esac
	done

	case "$prev" in
	-C)
		COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	--model)
		COMPREPLY=($(compgen -W "$(_persist_models "$dir")" -- "$cur"))
		return
		;;
	--datastore | --test-datastore)
		[ "$cmd" = migrate ] && datastores="mysql postgresql"
		COMPREPLY=($(compgen -W "$datastores" -- "$cur"))
		return
		;;
	--layout)
		COMPREPLY=($(compgen -W "file directory" -- "$cur"))
		return
		;;
	--module | --id)
		return
		;;
	esac

	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W "$commands -C --help --version" -- "$cur"))
		return
	fi
	local opts="--help"
	case "$cmd" in
	init) opts+=" --model --layout" ;;
	add) opts+=" --datastore --module --test-datastore --model --id --eager-loading --with-init-params --layout" ;;
	generate) opts+=" --datastore --module --test-datastore --model --eager-loading --with-init-params --layout" ;;
	build) opts+=" --model --layout" ;;
	check) opts+=" --model --datastore" ;;
	migrate) opts+=" --model --datastore --layout" ;;
	push) opts+=" --model --drop-existing --layout" ;;
	esac
	COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _persist persist
