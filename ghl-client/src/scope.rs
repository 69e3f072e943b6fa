//! OAuth / private-integration scopes.

use crate::open_enum::open_enum;

open_enum!(
    /// A GHL scope, as written in the authorize URL and in a token's `scope` field.
    ///
    /// Unknown scopes decode to [`Scope::Other`].
    Scope {
        /// `contacts.readonly`
        ContactsReadonly => "contacts.readonly",
        /// `contacts.write`
        ContactsWrite => "contacts.write",
        /// `calendars.readonly`
        CalendarsReadonly => "calendars.readonly",
        /// `calendars.write`
        CalendarsWrite => "calendars.write",
        /// `calendars/events.readonly`
        CalendarEventsReadonly => "calendars/events.readonly",
        /// `calendars/events.write`
        CalendarEventsWrite => "calendars/events.write",
        /// `users.readonly`
        UsersReadonly => "users.readonly",
        /// `users.write`
        UsersWrite => "users.write",
        /// `locations.readonly`
        LocationsReadonly => "locations.readonly",
        /// `locations/customFields.readonly`
        CustomFieldsReadonly => "locations/customFields.readonly",
        /// `locations/customFields.write`
        CustomFieldsWrite => "locations/customFields.write",
        /// `locations/tags.readonly`
        TagsReadonly => "locations/tags.readonly",
        /// `locations/tags.write`
        TagsWrite => "locations/tags.write",
        /// `products.readonly`
        ProductsReadonly => "products.readonly",
        /// `products.write`
        ProductsWrite => "products.write",
        /// `products/prices.readonly`
        PricesReadonly => "products/prices.readonly",
        /// `products/prices.write`
        PricesWrite => "products/prices.write",
        /// `opportunities.readonly`
        OpportunitiesReadonly => "opportunities.readonly",
        /// `opportunities.write`
        OpportunitiesWrite => "opportunities.write",
    }
);

impl Scope {
    /// Parses a space-separated scope list (a token response's `scope` field).
    pub fn parse_list(list: &str) -> Vec<Scope> {
        list.split_whitespace().map(Scope::from).collect()
    }
}
