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
}

impl DocumentBody {
    pub fn parse(self, rules: &OutboundRules) -> Result<NewDocument, InvalidField> {
        let name = documents::parse_name(&self.name).map_err(|e| e.at("name"))?;
        let content = match (self.text, self.url) {
            (Some(text), None) => documents::parse_text(&text).map_err(|e| e.at("text"))?,
            (None, Some(url)) => documents::parse_url(rules, &url).map_err(|e| e.at("url"))?,
            (Some(_), Some(_)) => return Err(InvalidField::new("url", "give either `text` or `url`, not both")),
            (None, None) => {
                return Err(InvalidField::new("text", "give the document's `text`, or the `url` to fetch it from"))
            }
        };
        Ok(NewDocument { name, content })
    }
}

/// What a document is made from, for a log line: never its text.
pub fn source_of(document: &NewDocument) -> &'static str {
    match document.content {
        Content::Text(_) => "text",
        Content::Url(_) => "url",
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
