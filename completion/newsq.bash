# bash completion for newsq(1). The commands and the options each takes are those of the
# command table in client/newsq.c (a test compares them with `newsq --help`).

_newsq()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} cmd= w i
	local common='-s --server --json -h --help --'

	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-s | --server) ((i++)) ;;
		-*) ;;
		*) cmd=$w; break ;;
		esac
	done
	case $prev in
	--sort) COMPREPLY=($(compgen -W 'relevance newest oldest' -- "$cur")); return ;;
	--interval) COMPREPLY=($(compgen -W 'day week month' -- "$cur")); return ;;
	--format) COMPREPLY=($(compgen -W 'jsonl csv' -- "$cur")); return ;;
	--type) COMPREPLY=($(compgen -W 'person org place' -- "$cur")); return ;;
	-s | --server | --from | --to | --entity | --source | --lang | --limit | --cursor | --fields)
		COMPREPLY=()
		return
		;;
	esac
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$common" -- "$cur"))
		else
			COMPREPLY=($(compgen -W 'search get ingest entities related similar timeline export watch health' \
				-- "$cur"))
		fi
		return
	fi
	case $cmd in
	search) w='--from --to --entity --source --lang --sort --limit --cursor --all-copies --json' ;;
	entities | related) w='--type --limit --from --to --json' ;;
	similar) w='--limit --from --to --source --json' ;;
	timeline) w='--interval --from --to --entity --source --json' ;;
	export) w='--format --fields --from --to --entity --source' ;;
	watch) w='--from --to --entity --source --json' ;;
	get | health) w='--json' ;;
	ingest)
		if [[ $cur != --* ]]; then
			local IFS=$'\n'
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur"))
			return
		fi
		w='--json'
		;;
	esac
	if [[ $cur == --* ]]; then
		COMPREPLY=($(compgen -W "$w -s --server -h --help" -- "$cur"))
	fi
}
complete -F _newsq newsq
