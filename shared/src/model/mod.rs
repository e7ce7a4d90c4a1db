//! The domain model. Plain data and the rules that need no I/O.

pub mod api_key;
pub mod ids;
pub mod page;
pub mod prompt;
pub mod timestamp;
pub mod workspace;

pub use api_key::{ApiKey, IssuedKey, Principal, Role};
pub use page::{Page, PageRequest};
pub use prompt::{Prompt, PromptContent, PromptVersion, Tool, VersionSource};
pub use workspace::Workspace;
