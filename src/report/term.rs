//! Colour decisions, per stream: the `colored` crate's own detection looks at stdout, but hook
//! output goes to stderr.

use std::io::IsTerminal;

use crate::env::Env;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Decide from the environment and whether the stream is a terminal.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Which stream the human report goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Decides colour for `stream` (flag, then `NO_COLOR`, `CLICOLOR_FORCE`, `CLICOLOR`, `TERM`,
/// then whether the stream is a terminal) and applies it to the `colored` crate.
pub fn apply(choice: ColorChoice, env: &Env, stream: Stream) {
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if env.no_color {
                false
            } else if env.clicolor_force {
                true
            } else if env.clicolor_off || env.dumb_term {
                false
            } else {
                match stream {
                    Stream::Stdout => std::io::stdout().is_terminal(),
                    Stream::Stderr => std::io::stderr().is_terminal(),
                }
            }
        }
    };
    colored::control::set_override(on);
}
