//! Reviews of one branch: `GET /{businessId}/branch/{branchId}/review`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::PhorestClient;
use crate::de;
use crate::error::{Operation, Result};
use crate::ids::{BranchId, ClientId, ReviewId, StaffId};
use crate::page::{ItemStream, ListSpec, Listed, PageStream};
use crate::query::{Query, params};

/// A client review (`_embedded.reviews[]`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Review {
    /// Review id.
    pub review_id: ReviewId,
    /// Client.
    pub client_id: Option<ClientId>,
    /// Client first name.
    pub client_first_name: Option<String>,
    /// Client last name.
    pub client_last_name: Option<String>,
    /// Review date.
    #[serde(deserialize_with = "de::opt_date")]
    pub review_date: Option<NaiveDate>,
    /// Visit date.
    #[serde(deserialize_with = "de::opt_date")]
    pub visit_date: Option<NaiveDate>,
    /// Staff member.
    pub staff_id: Option<StaffId>,
    /// Staff first name.
    pub staff_first_name: Option<String>,
    /// Staff last name.
    pub staff_last_name: Option<String>,
    /// Review text.
    pub text: Option<String>,
    /// Rating.
    pub rating: Option<f64>,
    /// Posted to Facebook.
    #[serde(deserialize_with = "de::null_default")]
    pub facebook_review: bool,
    /// Posted to Twitter.
    #[serde(deserialize_with = "de::null_default")]
    pub twitter_review: bool,
}

/// Filters for the review list (no update filter exists: re-page and upsert).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReviewQuery {
    client_id: Option<ClientId>,
    review_date: Option<NaiveDate>,
}

impl ReviewQuery {
    /// No filter.
    pub fn new() -> Self {
        Self::default()
    }

    /// `clientId` (name UNCONFIRMED).
    pub fn client_id(mut self, id: impl Into<ClientId>) -> Self {
        self.client_id = Some(id.into());
        self
    }

    /// `reviewDate` (name UNCONFIRMED).
    pub fn review_date(mut self, date: NaiveDate) -> Self {
        self.review_date = Some(date);
        self
    }

    pub(crate) fn to_query(&self) -> Query {
        let mut q = Query::default();
        q.opt(params::REVIEW_CLIENT_ID, self.client_id.as_ref())
            .date(params::REVIEW_DATE, self.review_date);
        q
    }

    /// The query parameters this sends, without `page`/`size` (feature `test-util`).
    #[cfg(feature = "test-util")]
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        self.to_query().into()
    }
}

/// Page size of the review list: 100, what production callers use (200 is unconfirmed).
const PAGE_SIZE: u32 = 100;

impl Listed for Review {
    const ID_FIELDS: &'static [&'static str] = &["reviewId"];
}

/// Handler for one branch's reviews; see [`PhorestClient::reviews`].
#[derive(Clone, Debug)]
pub struct ReviewsHandler {
    client: PhorestClient,
    branch: BranchId,
}

impl ReviewsHandler {
    pub(crate) fn new(client: PhorestClient, branch: BranchId) -> Self {
        Self { client, branch }
    }

    fn spec(&self, query: &ReviewQuery) -> ListSpec {
        ListSpec {
            operation: Operation::get("/{businessId}/branch/{branchId}/review"),
            segments: vec!["branch".into(), self.branch.to_string(), "review".into()],
            query: query.to_query(),
            key: "reviews",
            size: PAGE_SIZE,
        }
    }

    /// Pages of reviews from `start_page`.
    pub fn pages(&self, query: &ReviewQuery, start_page: u32) -> PageStream<Review> {
        self.spec(query).pages(self.client.clone(), start_page)
    }

    /// Every matching review.
    pub fn list(&self, query: &ReviewQuery) -> ItemStream<Review> {
        self.spec(query).items(self.client.clone())
    }

    /// One review.
    pub async fn get(&self, id: &ReviewId) -> Result<Review> {
        self.client
            .get_json(
                Operation::get("/{businessId}/branch/{branchId}/review/{reviewId}"),
                &["branch", self.branch.as_str(), "review", id.as_str()],
                &Query::default(),
            )
            .await
    }
}
