//! `colloquy-say`'s command line, parsed with `lexopt`: `--help` helps, an unknown option is an
//! error, and `--` lets a message start with a dash.

use std::ffi::OsString;

pub const USAGE: &str = "\
usage: colloquy-say [OPTIONS] [--] <message text>...
       colloquy-say --image PATH [caption...] | --voice PATH | --document PATH [caption...]

Sends a signed, real-shaped WhatsApp message to the local webhook, as Meta would; the agent's
reply shows in scripts/dev's window.

options:
  --image PATH      send an image (its words after PATH are the caption)
  --voice PATH      send a voice note
  --document PATH   send a document (its words after PATH are the caption)
  -h, --help        show this help

environment: PORT (3000), FROM (the contact's number, default +15557654321)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Voice,
    Document,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Say {
    Help,
    Text(String),
    Media { kind: MediaKind, path: String, caption: Option<String> },
}

/// The command line (without the program's name) as what to send, or why it is not one.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Say, String> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut media: Option<(MediaKind, String)> = None;
    let mut words: Vec<String> = Vec::new();
    let text = |value: OsString| value.into_string().map_err(|_| "arguments must be UTF-8".to_owned());
    while let Some(arg) = parser.next().map_err(|err| err.to_string())? {
        let kind = match arg {
            Short('h') | Long("help") => return Ok(Say::Help),
            Long("image") => MediaKind::Image,
            Long("voice") => MediaKind::Voice,
            Long("document") => MediaKind::Document,
            Value(word) => {
                words.push(text(word)?);
                continue;
            }
            other => return Err(other.unexpected().to_string()),
        };
        if media.is_some() {
            return Err("send one file at a time".into());
        }
        let path = parser.value().map_err(|err| err.to_string())?;
        media = Some((kind, text(path)?));
    }
    let joined = words.join(" ");
    match media {
        Some((MediaKind::Voice, _)) if !words.is_empty() => Err("a voice note has no caption".into()),
        Some((kind, path)) => {
            Ok(Say::Media { kind, path, caption: Some(joined).filter(|caption| !caption.trim().is_empty()) })
        }
        None if joined.trim().is_empty() => Err("nothing to say: give the message's text".into()),
        None => Ok(Say::Text(joined)),
    }
}
