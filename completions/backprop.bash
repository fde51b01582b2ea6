# bash completion for backprop(1).
#
# Installed by `make install` to $(PREFIX)/share/bash-completion/completions/
# backprop, where bash-completion loads it on first use; or source it from
# ~/.bashrc. Needs nothing but bash itself.
#
# Completes the command names, each command's options, the config keys of
# `train --set`, and file names for operands and file-valued options
# (configs and weights: *.json, data: *.csv, plot's log: any file, a
# sweep's folder), and config keys for sweep's --grid and --range.
#
# COMPREPLY=($(compgen ...)) is the completion idiom: the words split are
# fixed names, and file names are split at newlines only (IFS below).
# shellcheck disable=SC2207

# The options of each command, and which of them take a value.
_backprop_options() {
    case $1 in
    train)
        echo "-o --output --data --validation --epochs --batch-size" \
            "--learning-rate --seed --threads --set --log -q --quiet" \
            "--checkpoint-every --reset-state --force -h --help"
        ;;
    predict) echo "--proba --keep --threads -q --quiet -h --help" ;;
    eval) echo "--threads -q --quiet -h --help" ;;
    gradcheck) echo "--samples --threads -h --help" ;;
    info) echo "-h --help" ;;
    plot) echo "-o --output --title --metric --force -h --help" ;;
    sweep)
        echo "--grid --random --range --folds --repeat -j --jobs --threads" \
            "--metric -o --output -q --quiet --force -h --help"
        ;;
    esac
}

_backprop_takes_value() {
    case $1 in
    -o | --output | --data | --validation | --epochs | --batch-size | \
        --learning-rate | --seed | --threads | --set | --log | \
        --checkpoint-every | --samples | --title | --grid | --random | \
        --range | --folds | --repeat | -j | --jobs | --metric)
        return 0
        ;;
    esac
    return 1
}

# The keys `train --set KEY=VALUE` knows (SPEC section 3).
_backprop_config_keys="input loss init.method init.seed
training.optimizer training.learning_rate training.momentum
training.nesterov training.weight_decay training.batch_size training.epochs
training.shuffle training.seed training.schedule.type
training.schedule.every training.schedule.gamma
training.early_stopping.patience training.early_stopping.metric
training.early_stopping.min_delta training.betas training.eps
training.amsgrad training.alpha training.centered training.lr_decay
training.initial_accumulator_value training.clip_grad_norm
training.clip_grad_value training.label_smoothing training.warmup_epochs
training.schedule.factor training.schedule.patience
training.schedule.threshold training.schedule.min_lr training.schedule.metric
layers.0.dropout data.train data.validation
data.validation_split data.header data.label data.targets data.normalize
data.classes output"

# _backprop_files CUR [GLOB]: folders and the files matching GLOB; every
# file when nothing matches, or without GLOB.
_backprop_files() {
    local cur=$1 glob=${2:-} IFS=$'\n'
    compopt -o filenames 2>/dev/null # quoting, and "/" after folders
    if [ -n "$glob" ]; then
        COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X "!$glob" -- "$cur"))
        [ ${#COMPREPLY[@]} -gt 0 ] && return
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
}

# The value of option $1, being typed as $2.
_backprop_value() {
    local opt=$1 cur=$2
    case $opt in
    --data | --validation) _backprop_files "$cur" '*.csv' ;;
    -o | --output)
        if [ "$3" = plot ]; then
            _backprop_files "$cur" '*.svg'
        elif [ "$3" = sweep ]; then
            COMPREPLY=($(compgen -d -- "$cur"))
            compopt -o filenames 2>/dev/null
        else
            _backprop_files "$cur" '*.json'
        fi
        ;;
    --log) _backprop_files "$cur" ;;
    --set | --grid | --range)
        COMPREPLY=($(compgen -W "$_backprop_config_keys" -S = -- "$cur"))
        compopt -o nospace 2>/dev/null
        ;;
    --metric)
        COMPREPLY=($(compgen -W "validation_loss validation_accuracy
            train_loss" -- "$cur"))
        ;;
    *) COMPREPLY=() ;; # a number or a title: nothing to offer
    esac
}

_backprop() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=
    [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
    local commands="train predict eval gradcheck info plot sweep help"
    COMPREPLY=()

    if [ "$COMP_CWORD" -eq 1 ]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--help --version -h" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return 0
    fi

    local command=${COMP_WORDS[1]}
    if [ "$command" = help ]; then
        [ "$COMP_CWORD" -eq 2 ] &&
            COMPREPLY=($(compgen -W "${commands% help}" -- "$cur"))
        return 0
    fi
    case " $commands " in *" $command "*) ;; *) return 0 ;; esac

    # "--output=FILE": bash splits at "=" (COMP_WORDBREAKS), giving
    # "--output" "=" "FILE".
    if [ "$cur" = = ] && _backprop_takes_value "$prev"; then
        _backprop_value "$prev" "" "$command"
        return 0
    fi
    if [ "$prev" = = ] && [ "$COMP_CWORD" -ge 3 ] &&
        _backprop_takes_value "${COMP_WORDS[COMP_CWORD - 2]}"; then
        _backprop_value "${COMP_WORDS[COMP_CWORD - 2]}" "$cur" "$command"
        return 0
    fi
    # "--output=FILE" as one word (COMP_WORDBREAKS without "=").
    if [[ $cur == --*=* ]] && _backprop_takes_value "${cur%%=*}"; then
        _backprop_value "${cur%%=*}" "${cur#*=}" "$command"
        COMPREPLY=("${COMPREPLY[@]/#/${cur%%=*}=}")
        return 0
    fi
    if _backprop_takes_value "$prev"; then
        _backprop_value "$prev" "$cur" "$command"
        return 0
    fi

    # Count the operands before the cursor, skipping option values.
    local i w operands=0 options_done=
    for ((i = 2; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if [ -z "$options_done" ] && [ "$w" = -- ]; then
            options_done=1
        elif [ -z "$options_done" ] && [[ $w == -?* ]]; then
            _backprop_takes_value "$w" && ((i++))
        elif [ "$w" = = ]; then
            ((i++)) # "--opt" "=" "value": the value is no operand
        else
            ((operands++))
        fi
    done

    if [ -z "$options_done" ] && [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_backprop_options "$command")" -- "$cur"))
        return 0
    fi
    case $command:$operands in
    train:0 | gradcheck:0 | info:0 | predict:0 | eval:0 | sweep:0)
        _backprop_files "$cur" '*.json'
        ;;
    predict:1 | eval:1 | gradcheck:1) _backprop_files "$cur" '*.csv' ;;
    plot:*) _backprop_files "$cur" ;;
    esac
    return 0
}

complete -F _backprop backprop
