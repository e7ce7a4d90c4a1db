//! The bodies of `/api/v1/knowledge-bases/`: a knowledge base, a document, a search.

use serde::Deserialize;

use super::not_null;
use crate::model::input::InvalidField;
use colloquy_domain::knowledge::documents::{self, Content, NewDocument};
use colloquy_domain::knowledge::{parse_description, parse_name, search, KnowledgeBaseChange};
use colloquy_domain::model::outbound_url::OutboundRules;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewKnowledgeBaseBody {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

impl NewKnowledgeBaseBody {
    /// (name, description), each checked.
    pub fn parse(self) -> Result<(String, String), InvalidField> {
        let name = parse_name(&self.name).map_err(|e| e.at("name"))?;
        let description = parse_description(self.description.as_deref()).map_err(|e| e.at("description"))?;
        Ok((name, description))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KnowledgeBaseChangeBody {
    #[serde(default, deserialize_with = "not_null")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    pub description: Option<String>,
}

impl TryFrom<KnowledgeBaseChangeBody> for KnowledgeBaseChange {
    type Error = InvalidField;

    fn try_from(body: KnowledgeBaseChangeBody) -> Result<Self, InvalidField> {
        Ok(KnowledgeBaseChange {
            name: body.name.as_deref().map(parse_name).transpose().map_err(|e| e.at("name"))?,
            description: body
                .description
                .as_deref()
                .map(|d| parse_description(Some(d)))
                .transpose()
                .map_err(|e| e.at("description"))?,
        })
    }
}

/// A document: its name, and its text or the HTTPS URL to fetch it from (one of the two).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentBody {
    pub name: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    /// A file to upload: its type and size (adding only).
    #[serde(default)]
    pub upload: Option<UploadBody>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UploadBody {
    pub content_type: String,
    pub size_bytes: u64,
}

impl DocumentBody {
    pub fn parse(self, rules: &OutboundRules) -> Result<NewDocument, InvalidField> {
        let name = documents::parse_name(&self.name).map_err(|e| e.at("name"))?;
        let content = match (self.text, self.url, self.upload) {
            (Some(text), None, None) => documents::parse_text(&text).map_err(|e| e.at("text"))?,
            (None, Some(url), None) => documents::parse_url(rules, &url).map_err(|e| e.at("url"))?,
            (None, None, Some(upload)) => {
                documents::parse_upload(&upload.content_type, upload.size_bytes).map_err(|(field, e)| e.at(field))?
            }
            (None, None, None) => {
                return Err(InvalidField::new(
                    "text",
                    "give the document's `text`, the `url` to fetch it from, or an `upload`",
                ))
            }
            _ => return Err(InvalidField::new("url", "give one of `text`, `url` and `upload`")),
        };
        Ok(NewDocument { name, content })
    }

    /// A replacement: text or a URL (a file is uploaded only when a document is added).
    pub fn parse_replacement(self, rules: &OutboundRules) -> Result<NewDocument, InvalidField> {
        if self.upload.is_some() {
            return Err(InvalidField::new("upload", "a file is uploaded when a document is added; add a new one"));
        }
        self.parse(rules)
    }
}

/// What a document is made from, for a log line: never its text.
pub fn source_of(document: &NewDocument) -> &'static str {
    match document.content {
        Content::Text(_) => "text",
        Content::Url(_) => "url",
        Content::Upload { .. } => "upload",
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchBody {
    pub query: String,
    #[serde(default)]
    pub limit: Option<u64>,
}

impl SearchBody {
    /// (query, limit), each checked.
    pub fn parse(self) -> Result<(String, usize), InvalidField> {
        let query = search::parse_query(&self.query).map_err(|e| e.at("query"))?;
        let limit = search::parse_limit(self.limit).map_err(|e| e.at("limit"))?;
        Ok((query, limit))
    }
}
