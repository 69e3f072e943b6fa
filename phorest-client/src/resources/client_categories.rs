//! Client categories (business-level): `GET /{businessId}/category/client`.

use serde::{Deserialize, Serialize};

use crate::PhorestClient;
use crate::de;
use crate::error::{Operation, Result};
use crate::ids::CategoryId;
use crate::page::{ItemStream, ListSpec, Listed, PageStream};
use crate::query::{Query, params};

/// A client category (`_embedded.clientCategories[]`). The id is read from
/// `clientCategoryId`, `categoryId` or `id`, whichever is present (in that order).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "RawClientCategory")]
#[non_exhaustive]
pub struct ClientCategory {
    /// Category id.
    pub client_category_id: CategoryId,
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Archived (field name UNCONFIRMED).
    pub archived: bool,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawClientCategory {
    client_category_id: Option<CategoryId>,
    category_id: Option<CategoryId>,
    id: Option<CategoryId>,
    name: Option<String>,
    description: Option<String>,
    #[serde(deserialize_with = "de::null_default")]
    archived: bool,
}

impl From<RawClientCategory> for ClientCategory {
    fn from(raw: RawClientCategory) -> Self {
        Self {
            client_category_id: raw
                .client_category_id
                .or(raw.category_id)
                .or(raw.id)
                .unwrap_or_default(),
            name: raw.name,
            description: raw.description,
            archived: raw.archived,
        }
    }
}

/// Filters for the client category list (`GET /{businessId}/category/client`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientCategoryQuery {
    include_archived: bool,
}

impl ClientCategoryQuery {
    /// No filter: Phorest's defaults (archived categories hidden).
    pub fn new() -> Self {
        Self::default()
    }

    /// Every category, archived included.
    pub fn all() -> Self {
        Self::new().include_archived(true)
    }

    /// `includeArchived=true` (name UNCONFIRMED).
    pub fn include_archived(mut self, include: bool) -> Self {
        self.include_archived = include;
        self
    }

    pub(crate) fn to_query(&self) -> Query {
        let mut q = Query::default();
        q.flag(params::CATEGORY_INCLUDE_ARCHIVED, self.include_archived);
        q
    }

    /// The query parameters this sends, without `page`/`size` (feature `test-util`).
    #[cfg(feature = "test-util")]
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        self.to_query().into()
    }
}

/// Page size of the client category list: 100, what production callers use (200 is unconfirmed).
const PAGE_SIZE: u32 = 100;

impl Listed for ClientCategory {
    const ID_FIELDS: &'static [&'static str] = &["clientCategoryId", "categoryId", "id"];
}

/// Handler for client categories; see [`PhorestClient::client_categories`].
#[derive(Clone, Debug)]
pub struct ClientCategoriesHandler {
    client: PhorestClient,
}

impl ClientCategoriesHandler {
    pub(crate) fn new(client: PhorestClient) -> Self {
        Self { client }
    }

    fn spec(&self, query: &ClientCategoryQuery) -> ListSpec {
        ListSpec {
            operation: Operation::get("/{businessId}/category/client"),
            segments: vec!["category".into(), "client".into()],
            query: query.to_query(),
            key: "clientCategories",
            size: PAGE_SIZE,
        }
    }

    /// Pages of categories from `start_page`.
    pub fn pages(
        &self,
        query: &ClientCategoryQuery,
        start_page: u32,
    ) -> PageStream<ClientCategory> {
        self.spec(query).pages(self.client.clone(), start_page)
    }

    /// Every matching category.
    pub fn list(&self, query: &ClientCategoryQuery) -> ItemStream<ClientCategory> {
        self.spec(query).items(self.client.clone())
    }

    /// One category.
    pub async fn get(&self, id: &CategoryId) -> Result<ClientCategory> {
        self.client
            .get_json(
                Operation::get("/{businessId}/category/client/{categoryId}"),
                &["category", "client", id.as_str()],
                &Query::default(),
            )
            .await
    }
}
