// libedit's readline interface (Debian: libedit-dev), for the REPL's line editing. The
// functions below reach libedit's global variables, which Swift 6 does not let code touch.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <editline/readline.h>

static inline void rapport_rl_setup(const char *name, rl_completion_func_t *complete, const char *word_breaks) {
    rl_readline_name = strdup(name);
    rl_attempted_completion_function = complete;
    rl_completer_word_break_characters = strdup(word_breaks);
}

/// The line being edited (for completion).
static inline const char *rapport_rl_line(void) { return rl_line_buffer; }

/// Completion says it is done (no file-name fallback) and what follows a single match.
static inline void rapport_rl_completion_done(int append) {
    rl_attempted_completion_over = 1;
    rl_completion_append_character = append;
}

/// Ctrl-C at the prompt, as in psql: while a line is edited, ^C is read as a key (not a
/// signal) and runs `handler`, which ends the line through `rapport_rl_end_line`. Outside
/// the line editor the terminal is back in its usual mode, so ^C is SIGINT (a running query
/// is cancelled). readline resets libedit's terminal settings at each call, so `-isig` is set
/// again just before each line is read. Call after `using_history` (which initializes libedit).
static inline int rapport_rl_no_signal_keys(void) {
    rl_parse_and_bind("setty -d -isig");
    return 0;
}

/// ^Z while editing: with the signal keys off it is a key too, so it stops the job itself
/// (libedit puts the terminal back as it was, and again after `fg`).
static inline int rapport_rl_suspend(int count, int key) {
    (void)count; (void)key;
    kill(0, SIGTSTP);
    return 0;
}

static inline void rapport_rl_bind_interrupt(rl_command_func_t *handler) {
    rl_pre_input_hook = rapport_rl_no_signal_keys;
    rl_add_defun("rapport-interrupt", handler, 3);
    rl_add_defun("rapport-suspend", rapport_rl_suspend, 26);
}

/// Makes readline return (NULL) after the key being handled.
static inline void rapport_rl_end_line(void) { rl_done = 1; }
