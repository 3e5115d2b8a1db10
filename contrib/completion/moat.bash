# bash completion of moat: commands, their options and container ids.
# The commands and options are read from moat's own --help, so that they
# are always the ones of the installed moat.

_moat_words() { # HELP TEXT on stdin: the --options and -o flags it lists
	# (the lines that start with one, up to their description)
	grep -E '^ +-' | sed -E 's/^ +//; s/ {2,}.*//' |
		grep -oE -- '(^|[ ,])--?[a-zA-Z][a-zA-Z0-9-]*' | tr -d ' ,'
}

_moat() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local moat=${COMP_WORDS[0]} cmd= i
	# the command: the first word that is not an option or an option's value
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--root | --log | --log-format | --log-level | --cgroup-manager | --rootless | --criu) i=$((i + 1)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [ -z "$cmd" ]; then
		case $prev in
		--root | --log | --criu) COMPREPLY=($(compgen -f -- "$cur")); return ;;
		--log-format) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
		--log-level) COMPREPLY=($(compgen -W "error warning info debug" -- "$cur")); return ;;
		--cgroup-manager) COMPREPLY=($(compgen -W "cgroupfs systemd disabled" -- "$cur")); return ;;
		--rootless) COMPREPLY=($(compgen -W "auto true false" -- "$cur")); return ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$("$moat" --help 2>/dev/null | _moat_words)" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$("$moat" --help 2>/dev/null |
				sed -n '/^Commands:/,/^$/s/^  \([a-z]\{1,\}\) .*/\1/p')" -- "$cur"))
		fi
		return
	fi
	case $prev in
	-b | --bundle | -p | --process | --pid-file | --console-socket | -r | --resources | --cwd | --image-path | --work-path | --parent-path)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$("$moat" "$cmd" --help 2>/dev/null | _moat_words)" -- "$cur"))
		return
	fi
	case $cmd in
	spec | list | features) ;;
	*)
		# the container ids of the same --root
		local root=() j
		for ((j = 1; j < COMP_CWORD; j++)); do
			[ "${COMP_WORDS[j]}" = --root ] && root=(--root "${COMP_WORDS[j + 1]}")
		done
		COMPREPLY=($(compgen -W "$("$moat" "${root[@]}" list -q 2>/dev/null)" -- "$cur"))
		;;
	esac
}
complete -F _moat moat
