// libedit's readline interface (Debian: libedit-dev), for the REPL's line editing. The
// functions below reach libedit's global variables, which Swift 6 does not let code touch.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
