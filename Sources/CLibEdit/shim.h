// libedit's readline interface (Debian: libedit-dev), for the REPL's line editing. The
// functions below reach libedit's global variables, which Swift 6 does not let code touch.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
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

/// The write end of the REPL's interrupt pipe (-1 before `rapport_catch_sigint`).
static int rapport_sigint_fd = -1;

static void rapport_sigint_handler(int signo) {
    (void)signo;
    char byte = 1;
    if (rapport_sigint_fd >= 0) { (void)!write(rapport_sigint_fd, &byte, 1); }
}

/// SIGINT writes a byte to `fd` (a pipe's write end), whichever thread the kernel hands it to:
/// the REPL reads the pipe and cancels the running query. (Ignoring SIGINT and watching it with
/// a dispatch source lost it when it went to a thread that did not block it.)
static inline int rapport_catch_sigint(int fd) {
    rapport_sigint_fd = fd;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = rapport_sigint_handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    return sigaction(SIGINT, &action, NULL);
}
