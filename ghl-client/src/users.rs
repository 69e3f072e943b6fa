//! Users (staff) of a location. `Version: 2021-07-28`.

use futures::StreamExt;
use futures::stream::BoxStream;
use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::{Call, GhlClient};
use crate::error::Error;
use crate::ids::{CompanyId, LocationId, UserId};
use crate::pagination::{CursorGuard, Listed, Page};
use crate::scope::Scope;

/// The `Version` header of the users API.
pub const VERSION: &str = "2021-07-28";

/// A user, as GHL returns it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct User {
    /// The user id.
    pub id: UserId,
    /// Full name.
    #[serde(default)]
    pub name: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// Roles, as GHL sends them (`{type, role, locationIds}`).
    #[serde(default)]
    pub roles: Option<serde_json::Value>,
    /// Whether the user is deleted.
    #[serde(default)]
    pub deleted: Option<bool>,
}

/// The query of `GET /users/search`. Required: `companyId` (the agency of the location: see
/// [`Location::company_id`](crate::locations::Location::company_id)).
///
/// The streams page with `skip`/`limit` (`limit` 25 by default, GHL's default).
///
/// ```
/// use ghl_client::users::SearchUsers;
///
/// let query = SearchUsers::new("company-1").location_id("loc-1").limit(100);
/// # let _ = query;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchUsers {
    company_id: CompanyId,
    location_id: Option<LocationId>,
    query: Option<String>,
    skip: u64,
    limit: u64,
    user_type: Option<String>,
    role: Option<String>,
    ids: Vec<UserId>,
    sort: Option<String>,
    sort_direction: Option<String>,
}

impl SearchUsers {
    /// The users of the company, 25 per page.
    pub fn new(company_id: impl Into<CompanyId>) -> Self {
        Self {
            company_id: company_id.into(),
            location_id: None,
            query: None,
            skip: 0,
            limit: 25,
            user_type: None,
            role: None,
            ids: Vec::new(),
            sort: None,
            sort_direction: None,
        }
    }

    /// Only the users of this location.
    pub fn location_id(mut self, id: impl Into<LocationId>) -> Self {
        self.location_id = Some(id.into());
        self
    }

    /// A search term, matched on the full name, email and phone.
    pub fn query(mut self, text: impl Into<String>) -> Self {
        self.query = Some(text.into());
        self
    }

    /// Skips this many users (the page stream sets it for each page).
    pub fn skip(mut self, skip: u64) -> Self {
        self.skip = skip;
        self
    }

    /// Users per page.
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = limit.max(1);
        self
    }

    /// Only users of this type (such as `agency` or `account`).
    pub fn user_type(mut self, user_type: impl Into<String>) -> Self {
        self.user_type = Some(user_type.into());
        self
    }

    /// Only users with this role (such as `admin` or `user`).
    pub fn role(mut self, role: impl Into<String>) -> Self {
        self.role = Some(role.into());
        self
    }

    /// Only these users.
    pub fn ids<I: Into<UserId>>(mut self, ids: impl IntoIterator<Item = I>) -> Self {
        self.ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Sorts by this field (such as `dateAdded`), ascending unless `descending`.
    pub fn sort(mut self, field: impl Into<String>, descending: bool) -> Self {
        self.sort = Some(field.into());
        self.sort_direction = Some(if descending { "desc" } else { "asc" }.to_owned());
        self
    }

    fn apply(&self, call: Call) -> Call {
        let ids = (!self.ids.is_empty()).then(|| {
            self.ids
                .iter()
                .map(UserId::as_str)
                .collect::<Vec<_>>()
                .join(",")
        });
        call.query("companyId", &self.company_id)
            .query_opt("locationId", self.location_id.as_ref())
            .query_opt("query", self.query.as_deref())
            .query("skip", self.skip)
            .query("limit", self.limit)
            .query_opt("type", self.user_type.as_deref())
            .query_opt("role", self.role.as_deref())
            .query_opt("ids", ids)
            .query_opt("sort", self.sort.as_deref())
            .query_opt("sortDirection", self.sort_direction.as_deref())
    }
}

/// A page of a user search; `next` is the `skip` of the next page.
pub type UserPage = Page<User, u64>;

/// The page stream of a user search ([`UsersHandler::search_pages`]).
pub type UserPageStream = BoxStream<'static, Result<UserPage, Error>>;

/// The item stream of a user search ([`UsersHandler::search`]).
pub type UserStream = BoxStream<'static, Result<User, Error>>;

/// `client.users()`.
#[derive(Debug, Clone, Copy)]
pub struct UsersHandler<'c> {
    client: &'c GhlClient,
}

impl<'c> UsersHandler<'c> {
    pub(crate) fn new(client: &'c GhlClient) -> Self {
        Self { client }
    }

    /// `GET /users/?locationId=`: the location's users. Needs `users.readonly`.
    #[deprecated(
        since = "0.1.0",
        note = "GHL deprecated `GET /users/`: use `search` (GET /users/search) with the location's company id"
    )]
    pub async fn list(&self) -> Result<Listed<User>, Error> {
        let call = Call::new(
            Method::GET,
            "/users/",
            &["users", ""],
            VERSION,
            Scope::UsersReadonly,
        )
        .query("locationId", self.client.location_id());
        self.client.send_json(call).await?.list("users")
    }

    /// `GET /users/search`: one page of users (`skip`/`limit` from the query). Needs
    /// `users.readonly`. Users that do not decode are in [`Page::rejected`]; `total` is GHL's
    /// `count`. [Reference](https://marketplace.gohighlevel.com/docs/ghl/users/search-users).
    pub async fn search_page(&self, query: &SearchUsers) -> Result<UserPage, Error> {
        search_page(self.client, query).await
    }

    /// Every page of a user search, as a `'static` stream: from the query's `skip`, one page at
    /// a time, until GHL's reported `count` is reached (without a `count`: a short page), an
    /// empty page, or a page that does not move on.
    pub fn search_pages(&self, query: SearchUsers) -> UserPageStream {
        let client = self.client.clone();
        futures::stream::try_unfold(
            (Some(query), CursorGuard::new(), client),
            |(query, mut guard, client)| async move {
                let Some(query) = query else {
                    return Ok(None);
                };
                let page = search_page(&client, &query).await?;
                let count = page.items.len() + page.rejected.len();
                if count == 0 {
                    return Ok(None);
                }
                let next = guard
                    .next(count, page.next.as_ref())
                    .map(|skip| query.skip(skip));
                Ok(Some((page, (next, guard, client))))
            },
        )
        .boxed()
    }

    /// Every user of a search, as a `'static` stream (see
    /// [`search_pages`](Self::search_pages)).
    ///
    /// ```no_run
    /// # async fn demo(client: ghl_client::GhlClient) -> Result<(), ghl_client::Error> {
    /// use futures::TryStreamExt;
    /// use ghl_client::users::SearchUsers;
    ///
    /// let location = client.locations().get_current().await?;
    /// let company = location.company_id.expect("GHL names the location's company");
    /// let users: Vec<_> = client
    ///     .users()
    ///     .search(SearchUsers::new(company).location_id(location.id))
    ///     .try_collect()
    ///     .await?;
    /// println!("{} users", users.len());
    /// # Ok(())
    /// # }
    /// ```
    pub fn search(&self, query: SearchUsers) -> UserStream {
        use futures::TryStreamExt;
        self.search_pages(query)
            .map_ok(|page| futures::stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }
}

async fn search_page(client: &GhlClient, query: &SearchUsers) -> Result<UserPage, Error> {
    let call = query.apply(Call::new(
        Method::GET,
        "/users/search",
        &["users", "search"],
        VERSION,
        Scope::UsersReadonly,
    ));
    let mut answer = client.send_json(call).await?;
    let total: Option<u64> = answer.opt_field("count")?;
    let users: Listed<User> = answer.list("users")?;
    let seen = (users.items.len() + users.rejected.len()) as u64;
    let next_skip = query.skip + seen;
    // GHL's `count` says whether more follow (it may cap `limit` below what was asked);
    // without it, a full page means there may be more.
    let more = match total {
        Some(total) => seen > 0 && next_skip < total,
        None => seen >= query.limit,
    };
    let next = more.then_some(next_skip);
    Ok(Page::new(users.items, next, total, users.rejected))
}
