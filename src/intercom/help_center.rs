//! The knowledge base's three kinds of object: Help Center collections, articles and internal
//! articles. Each is created, updated, read and deleted the same way under its own path, so the
//! loader, verify and rollback name the kind and this module the path.

use reqwest::Method;
use serde_json::Value;

use super::client::{ApiError, Client};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    Collection,
    Article,
    InternalArticle,
}

impl Content {
    pub fn path(self) -> &'static str {
        match self {
            Content::Collection => "/help_center/collections",
            Content::Article => "/articles",
            Content::InternalArticle => "/internal_articles",
        }
    }

    /// The ledger's object type for this kind (`load::objects`).
    pub fn object_type(self) -> &'static str {
        match self {
            Content::Collection => "collection",
            Content::Article => "article",
            Content::InternalArticle => "internal_article",
        }
    }

    pub fn of_object_type(name: &str) -> Option<Content> {
        [
            Content::Collection,
            Content::Article,
            Content::InternalArticle,
        ]
        .into_iter()
        .find(|c| c.object_type() == name)
    }
}

/// Objects per page when the lookup lists them.
const PER_PAGE: usize = 50;

impl Client {
    pub async fn create_content(&self, kind: Content, payload: &Value) -> Result<Value, ApiError> {
        self.call(Method::POST, kind.path(), Some(payload)).await
    }

    pub async fn update_content(
        &self,
        kind: Content,
        id: &str,
        payload: &Value,
    ) -> Result<Value, ApiError> {
        self.call(Method::PUT, &format!("{}/{id}", kind.path()), Some(payload))
            .await
    }

    pub async fn delete_content(&self, kind: Content, id: &str) -> Result<Value, ApiError> {
        self.call(Method::DELETE, &format!("{}/{id}", kind.path()), None)
            .await
    }

    /// The first object of `kind` that `matches`, listing them page by page. None of the three
    /// carries an id of ours and search lags behind a create, so this is how a resumed load
    /// finds what a killed one created; a first send never lists.
    pub async fn find_content(
        &self,
        kind: Content,
        matches: impl Fn(&Value) -> bool,
    ) -> Result<Option<Value>, ApiError> {
        let mut page = 1;
        loop {
            let path = format!("{}?page={page}&per_page={PER_PAGE}", kind.path());
            let list = self.call(Method::GET, &path, None).await?;
            let data = list["data"].as_array().cloned().unwrap_or_default();
            if let Some(found) = data.into_iter().find(|v| matches(v)) {
                return Ok(Some(found));
            }
            let total = list["pages"]["total_pages"].as_u64().unwrap_or(1);
            if page >= total {
                return Ok(None);
            }
            page += 1;
        }
    }
}
