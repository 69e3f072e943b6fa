//! OAuth / private-integration scopes.

use crate::open_enum::open_enum;

open_enum!(
    /// A GHL scope, as written in the authorize URL and in a token's `scope` field.
    ///
    /// Unknown scopes decode to [`Scope::Unknown`].
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_and_keep_unknown_values() {
        let scopes = Scope::parse_list("contacts.write  products/prices.write\tmedias.readonly");
        assert_eq!(
            scopes,
            [
                Scope::ContactsWrite,
                Scope::PricesWrite,
                Scope::Unknown("medias.readonly".into())
            ]
        );
        let json = serde_json::to_string(&scopes).unwrap();
        assert_eq!(
            json,
            r#"["contacts.write","products/prices.write","medias.readonly"]"#
        );
        let back: Vec<Scope> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, scopes);
        assert_eq!(
            Scope::CalendarEventsWrite.to_string(),
            "calendars/events.write"
        );
    }

    #[test]
    fn id_newtypes_are_transparent() {
        let id = crate::ContactId::from("c-1");
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""c-1""#);
        assert_eq!(id.to_string(), "c-1");
        assert_eq!(format!("{id:?}"), r#"ContactId("c-1")"#);
        let back: crate::ContactId = serde_json::from_str(r#""c-1""#).unwrap();
        assert_eq!(back.as_str(), "c-1");
    }
}
