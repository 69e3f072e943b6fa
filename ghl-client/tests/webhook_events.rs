//! Every event page of HighLevel's webhook reference: its documented example (checked in under
//! `tests/fixtures/webhooks/`) decodes to its typed variant with the right values.

use ghl_client::calendars::AppointmentStatus;
use ghl_client::products::{PriceType, ProductType};
use ghl_client::webhooks::{
    AssociationType, Cardinality, DndStatus, InvoiceStatus, MessageDirection, MessageStatus,
    MessageType, OpportunityStatus, OrderStatus, WebhookEnvelope, WebhookEvent, WebhookEventType,
};
use ghl_client::{
    AppId, AppointmentId, AssociationId, CalendarId, CompanyId, ContactId, ConversationId,
    CustomFieldId, InvoiceId, LocationId, MessageId, NoteId, OpportunityId, OrderId, PipelineId,
    PipelineStageId, PriceId, ProductId, RecordId, TaskId, UserId,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/webhooks/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Decodes a fixture by its own `type` field.
fn by_type(name: &str) -> WebhookEvent {
    WebhookEvent::from_slice(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Decodes a fixture as the given type (for examples without, or with a wrong, `type`).
fn as_type(kind: WebhookEventType, name: &str) -> WebhookEvent {
    WebhookEvent::from_slice_as(kind, &fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

macro_rules! expect {
    ($event:expr, $variant:ident) => {
        match $event {
            WebhookEvent::$variant(payload) => payload,
            other => panic!("expected {}, got {other:?}", stringify!($variant)),
        }
    };
}

fn loc(id: &str) -> Option<LocationId> {
    Some(LocationId::from(id))
}

#[test]
fn app_install() {
    let e = expect!(by_type("AppInstall"), AppInstall);
    assert_eq!(e.app_id, Some(AppId::from("ve9EPM428h8vShlRW1KT")));
    assert_eq!(e.location_id, loc("otg8dTQqGLh3Q6iQI55w"));
    assert_eq!(e.user_id, Some(UserId::from("otg8dTQqGLh3Q6iQI55w")));
    let trial = e.trial.unwrap();
    assert_eq!(trial.on_trial, Some(true));
    assert_eq!(trial.trial_duration, Some(10.0));
    assert_eq!(e.is_whitelabel_company, Some(true));
    assert_eq!(
        e.whitelabel_details.unwrap().domain.as_deref(),
        Some("example.com")
    );
    // The other two examples: not white-labelled (empty details), and agency level.
    let plain = expect!(by_type("AppInstall.non-whitelabel"), AppInstall);
    assert_eq!(plain.is_whitelabel_company, Some(false));
    assert_eq!(plain.whitelabel_details.unwrap().domain, None);
    let agency = expect!(by_type("AppInstall.agency"), AppInstall);
    assert_eq!(agency.location_id, None);
    assert_eq!(
        agency.company_id,
        Some(CompanyId::from("otg8dTQqGLh3Q6iQI55w"))
    );
    assert_eq!(agency.plan_id.as_deref(), Some("66a0419a0dffa47fb5f8b22f"));
}

#[test]
fn app_uninstall() {
    let e = expect!(by_type("AppUninstall"), AppUninstall);
    assert_eq!(e.app_id, Some(AppId::from("ve9EPM428h8vShlRW1KT")));
    assert_eq!(e.location_id, loc("otg8dTQqGLh3Q6iQI55w"));
    let agency = expect!(by_type("AppUninstall.agency"), AppUninstall);
    assert_eq!(agency.location_id, None);
    assert_eq!(
        agency.company_id,
        Some(CompanyId::from("otg8dTQqGLh3Q6iQI55w"))
    );
}

fn check_appointment(e: &ghl_client::webhooks::AppointmentEvent) {
    assert_eq!(e.location_id, loc("0007BWpSzSwfiuSl0tR2"));
    let a = e.appointment.as_ref().unwrap();
    assert_eq!(a.id, Some(AppointmentId::from("0007BWpSzSwfiuSl0tR2")));
    assert_eq!(
        a.calendar_id,
        Some(CalendarId::from("BqTwX8QFwXzpegMve9EQ"))
    );
    assert_eq!(a.contact_id, Some(ContactId::from("9NkT25Vor1v4aQatFsv2")));
    assert_eq!(a.appointment_status, Some(AppointmentStatus::Confirmed));
    assert_eq!(
        a.assigned_user_id,
        Some(UserId::from("YlWd2wuCAZQzh2cH1fVZ"))
    );
    assert_eq!(a.users.len(), 2);
    assert_eq!(a.start_time.as_deref(), Some("2023-09-25T16:00:00+05:30"));
    assert_eq!(a.source.as_deref(), Some("booking_widget"));
}

#[test]
fn appointment_create() {
    check_appointment(&expect!(by_type("AppointmentCreate"), AppointmentCreate));
}

#[test]
fn appointment_update() {
    // The page's example says `"type": "AppointmentCreate"` (a copy of the create page).
    assert!(matches!(
        by_type("AppointmentUpdate"),
        WebhookEvent::AppointmentCreate(_)
    ));
    check_appointment(&expect!(
        as_type(WebhookEventType::AppointmentUpdate, "AppointmentUpdate"),
        AppointmentUpdate
    ));
}

#[test]
fn appointment_delete() {
    assert!(matches!(
        by_type("AppointmentDelete"),
        WebhookEvent::AppointmentCreate(_)
    ));
    check_appointment(&expect!(
        as_type(WebhookEventType::AppointmentDelete, "AppointmentDelete"),
        AppointmentDelete
    ));
}

fn check_association(e: &ghl_client::webhooks::AssociationEvent, cardinality: bool) {
    assert_eq!(e.id, Some(AssociationId::from("67ade73d1119d2ac7ad0c475")));
    assert_eq!(e.association_type, Some(AssociationType::UserDefined));
    assert_eq!(
        e.first_object_key.as_deref(),
        Some("custom_objects.real_estate_buyer")
    );
    assert_eq!(e.second_object_label.as_deref(), Some("Property"));
    assert_eq!(e.key.as_deref(), Some("buyer_property_interest"));
    assert_eq!(e.location_id, loc("eHy2cOSZxMQzQ6Yyvl8P"));
    let expected = cardinality.then_some(Cardinality::ManyToMany);
    assert_eq!(e.first_object_to_second_object_cardinality, expected);
    assert_eq!(e.second_object_to_first_object_cardinality, expected);
}

#[test]
fn association_create() {
    let e = as_type(WebhookEventType::AssociationCreate, "AssociationCreate");
    check_association(&expect!(e, AssociationCreate), false);
}

#[test]
fn association_update() {
    let e = as_type(WebhookEventType::AssociationUpdate, "AssociationUpdate");
    check_association(&expect!(e, AssociationUpdate), true);
}

#[test]
fn association_delete() {
    let e = as_type(WebhookEventType::AssociationDelete, "AssociationDelete");
    check_association(&expect!(e, AssociationDelete), true);
}

#[test]
fn campaign_status_update() {
    let e = expect!(by_type("CampaignStatusUpdate"), CampaignStatusUpdate);
    assert_eq!(e.location_id, loc("ve9EPM428h8vShlRW1KT"));
    assert_eq!(e.contact_id, Some(ContactId::from("CWBf1PR9LvvBkcYqiXlc")));
    assert_eq!(e.status.as_deref(), Some("paused"));
    assert_eq!(e.template_id.as_deref(), Some("Y2I9XM7aO1hncuSOlc9L"));
}

fn check_contact(c: &ghl_client::webhooks::WebhookContact) {
    assert_eq!(c.location_id, loc("ve9EPM428h8vShlRW1KT"));
    assert_eq!(c.id, Some(ContactId::from("nmFmQEsNgz6AVpgLVUJ0")));
    assert_eq!(c.email.as_deref(), Some("JohnDeo@gmail.comm"));
    assert_eq!(c.first_name.as_deref(), Some("John"));
    assert_eq!(c.phone.as_deref(), Some("+919509597501"));
    assert_eq!(c.dnd, Some(true));
    assert_eq!(
        c.tags,
        vec!["id magna sed Lorem", "Duis dolor commodo aliqua"]
    );
    assert_eq!(c.assigned_to, Some(UserId::from("nmFmQEsNgz6AVpgLVUJ0")));
    assert_eq!(
        c.custom_fields[0].id,
        Some(CustomFieldId::from("BcdmQEsNgz6AVpgLVUJ0"))
    );
    assert_eq!(
        c.custom_fields[0].value,
        Some(serde_json::json!("XYZ Corp"))
    );
}

#[test]
fn contact_create() {
    check_contact(&expect!(by_type("ContactCreate"), ContactCreate));
}

#[test]
fn contact_update() {
    check_contact(&expect!(by_type("ContactUpdate"), ContactUpdate));
}

#[test]
fn contact_delete() {
    check_contact(&expect!(by_type("ContactDelete"), ContactDelete));
}

#[test]
fn contact_tag_update() {
    check_contact(&expect!(by_type("ContactTagUpdate"), ContactTagUpdate));
}

#[test]
fn contact_dnd_update() {
    let c = expect!(by_type("ContactDndUpdate"), ContactDndUpdate);
    check_contact(&c);
    let dnd = c.dnd_settings.unwrap();
    assert_eq!(dnd.sms.unwrap().status, Some(DndStatus::Inactive));
    let email = dnd.email.unwrap();
    assert_eq!(email.status, Some(DndStatus::Active));
    assert_eq!(email.code.as_deref(), Some("101"));
    assert_eq!(dnd.whatsapp.unwrap().status, Some(DndStatus::Active));
    assert_eq!(dnd.call.unwrap().status, Some(DndStatus::Inactive));
}

#[test]
fn conversation_unread_update() {
    // The page is `ConversationUnreadWebhook`; its example's `type` is `ConversationUnreadUpdate`.
    let e = expect!(
        by_type("ConversationUnreadWebhook"),
        ConversationUnreadUpdate
    );
    assert_eq!(e.location_id, loc("ADVlSQnPsdq3hinusd6C3"));
    assert_eq!(e.id, Some(ConversationId::from("MzKIpg0rEIH2ZUGKf6BS")));
    assert_eq!(e.unread_count, Some(0));
    assert_eq!(e.starred, Some(true));
    assert_eq!(e.inbox, Some(false));
}

#[test]
fn inbound_message() {
    let sms = expect!(by_type("InboundMessage"), InboundMessage);
    assert_eq!(sms.location_id, loc("l1C08ntBrFjLS0elLIYU"));
    assert_eq!(sms.body.as_deref(), Some("This is a test message"));
    assert_eq!(sms.message_type, Some(MessageType::Sms));
    assert_eq!(sms.direction, Some(MessageDirection::Inbound));
    assert_eq!(sms.status, Some(MessageStatus::Delivered));
    assert_eq!(
        sms.conversation_id,
        Some(ConversationId::from("fcanlLgpbQgQhderivVs"))
    );
    // The call example of the inbound page says `OutboundMessage` with direction inbound.
    let call = expect!(by_type("InboundMessage.call"), OutboundMessage);
    assert_eq!(call.message_type, Some(MessageType::Call));
    assert_eq!(call.call_duration, Some(120.0));
    assert_eq!(call.direction, Some(MessageDirection::Inbound));
    let voicemail = expect!(by_type("InboundMessage.voicemail"), InboundMessage);
    assert_eq!(voicemail.status, Some(MessageStatus::Voicemail));
    assert_eq!(voicemail.attachments, vec!["voicemail url"]);
    // `to` is documented as a string and sent as a list.
    let email = expect!(by_type("InboundMessage.email"), InboundMessage);
    assert_eq!(email.message_type, Some(MessageType::Email));
    assert_eq!(email.to, vec!["testprasath95@gmail.com"]);
    assert_eq!(email.subject.as_deref(), Some("Order Confirmed"));
    assert_eq!(email.thread_id.as_deref(), Some("sddfDSF3G56GHG"));
}

#[test]
fn outbound_message() {
    let sms = expect!(by_type("OutboundMessage"), OutboundMessage);
    assert_eq!(sms.source.as_deref(), Some("app"));
    assert_eq!(
        sms.contact_id,
        Some(ContactId::from("cI08i1Bls3iTB9bKgFJh"))
    );
    let call = expect!(by_type("OutboundMessage.call"), OutboundMessage);
    assert_eq!(call.direction, Some(MessageDirection::Outbound));
    assert_eq!(
        call.message_id,
        Some(MessageId::from("tyW42xCD0HQpb3hhfLcx"))
    );
    assert_eq!(call.call_status.as_deref(), Some("completed"));
    assert_eq!(call.status, Some(MessageStatus::Completed));
    let voicemail = expect!(by_type("OutboundMessage.voicemail"), OutboundMessage);
    assert_eq!(voicemail.message_type, Some(MessageType::VoiceMail));
    let email = expect!(by_type("OutboundMessage.email"), OutboundMessage);
    assert_eq!(email.to, vec!["example@email.com"]);
    assert_eq!(
        email.from.as_deref(),
        Some("Internal Notify <sample@email.service>")
    );
}

fn check_invoice(e: &ghl_client::webhooks::InvoiceEvent, status: InvoiceStatus, paid: f64) {
    assert_eq!(e.id, Some(InvoiceId::from("6578278e879ad2646715ba9c")));
    assert_eq!(e.status, Some(status));
    assert_eq!(e.amount_paid, Some(paid));
    assert_eq!(e.location_id(), loc("6578278e879ad2646715ba9c"));
    assert_eq!(e.invoice_number.as_deref(), Some("19"));
    let contact = e.contact_details.as_ref().unwrap();
    assert_eq!(contact.email.as_deref(), Some("alex@example.com"));
    assert_eq!(
        contact.address.as_ref().unwrap().city.as_deref(),
        Some("St. Houston")
    );
    let item = &e.invoice_items[0];
    assert_eq!(
        item.product_id,
        Some(ProductId::from("c6tZZU0rJBf30ZXx9Gli"))
    );
    assert_eq!(item.price_id, Some(PriceId::from("c6tZZU0rJBf30ZXx9Gli")));
    assert_eq!(item.amount, Some(999.0));
    assert_eq!(
        e.discount.as_ref().unwrap().kind.as_deref(),
        Some("percentage")
    );
    assert_eq!(e.total, Some(999.0));
}

macro_rules! invoice_test {
    ($name:ident, $variant:ident, $status:expr, $paid:expr) => {
        #[test]
        fn $name() {
            let e = as_type(WebhookEventType::$variant, stringify!($variant));
            check_invoice(&expect!(e, $variant), $status, $paid);
        }
    };
}

invoice_test!(invoice_create, InvoiceCreate, InvoiceStatus::Draft, 0.0);
invoice_test!(invoice_update, InvoiceUpdate, InvoiceStatus::Draft, 0.0);
invoice_test!(invoice_delete, InvoiceDelete, InvoiceStatus::Deleted, 0.0);
invoice_test!(invoice_sent, InvoiceSent, InvoiceStatus::Sent, 0.0);
invoice_test!(invoice_paid, InvoicePaid, InvoiceStatus::Paid, 999.0);
invoice_test!(
    invoice_partially_paid,
    InvoicePartiallyPaid,
    InvoiceStatus::PartiallyPaid,
    899.0
);
invoice_test!(invoice_void, InvoiceVoid, InvoiceStatus::Void, 0.0);

#[test]
fn lc_email_stats() {
    let e = expect!(by_type("LCEmailStats"), LcEmailStats);
    assert_eq!(e.company_id, Some(CompanyId::from("ve9EPM428h8vShlRW1KT")));
    let p = e.webhook_payload.unwrap();
    assert_eq!(p.event.as_deref(), Some("delivered"));
    assert_eq!(p.timestamp, Some(1_714_032_441));
    assert_eq!(p.recipient.as_deref(), Some("test@example.com"));
    let status = p.delivery_status.unwrap();
    assert_eq!(status.code, Some(250));
    assert_eq!(status.session_seconds, Some(0.087));
    assert_eq!(status.mx_host.as_deref(), Some("mail.example.com"));
    let message = p.message.unwrap();
    assert_eq!(message.size, Some(1725));
    assert_eq!(
        message.headers.unwrap().message_id.as_deref(),
        Some("<message-id>")
    );
    assert_eq!(p.envelope.unwrap().transport.as_deref(), Some("smtp"));
}

#[test]
fn location_create() {
    let e = expect!(by_type("LocationCreate"), LocationCreate);
    assert_eq!(e.id, loc("ve9EPM428h8vShlRW1KT"));
    assert_eq!(e.company_id, Some(CompanyId::from("otg8dTQqGLh3Q6iQI55w")));
    assert_eq!(e.stripe_product_id.as_deref(), Some("prod_xyz123abc"));
}

#[test]
fn location_update() {
    let e = expect!(by_type("LocationUpdate"), LocationUpdate);
    assert_eq!(e.email.as_deref(), Some("mailer@example.com"));
    assert_eq!(e.name.as_deref(), Some("Loram ipsum"));
}

fn check_note(e: &ghl_client::webhooks::NoteEvent) {
    assert_eq!(e.location_id, loc("ve9EPM428h8vShlRW1KT"));
    assert_eq!(e.id, Some(NoteId::from("otg8dTQqGLh3Q6iQI55w")));
    assert_eq!(e.body.as_deref(), Some("Loram ipsum"));
    assert_eq!(e.contact_id, Some(ContactId::from("CWBf1PR9LvvBkcYqiXlc")));
}

#[test]
fn note_create() {
    check_note(&expect!(by_type("NoteCreate"), NoteCreate));
}

#[test]
fn note_update() {
    check_note(&expect!(by_type("NoteUpdate"), NoteUpdate));
}

#[test]
fn note_delete() {
    check_note(&expect!(by_type("NoteDelete"), NoteDelete));
}

fn check_schema(e: &ghl_client::webhooks::ObjectSchemaEvent) {
    assert_eq!(e.key.as_deref(), Some("custom_objects.pets"));
    assert_eq!(e.labels.as_ref().unwrap().plural.as_deref(), Some("pets"));
    assert_eq!(
        e.searchable_properties,
        vec!["custom_objects.pets.pet_name"]
    );
    assert_eq!(e.object_type.as_deref(), Some("USER_DEFINED"));
    assert_eq!(e.location_id, loc("eHy2cOSZxMQzQ6Yyvl8P"));
}

#[test]
fn object_schema_create() {
    let e = as_type(WebhookEventType::ObjectSchemaCreate, "ObjectSchemaCreate");
    check_schema(&expect!(e, ObjectSchemaCreate));
    // Its `timestamp` is the envelope's.
    let envelope = WebhookEnvelope::from_slice(&fixture("ObjectSchemaCreate")).unwrap();
    assert_eq!(
        envelope.timestamp.unwrap().to_rfc3339(),
        "2025-02-10T08:26:05.961+00:00"
    );
}

#[test]
fn object_schema_update() {
    let e = as_type(WebhookEventType::ObjectSchemaUpdate, "ObjectSchemaUpdate");
    check_schema(&expect!(e, ObjectSchemaUpdate));
}

fn check_opportunity(e: &ghl_client::webhooks::OpportunityEvent) {
    assert_eq!(e.id, Some(OpportunityId::from("wWhVuzqpRuOA1ZVWi4FC")));
    assert_eq!(e.assigned_to, Some(UserId::from("bNl8QNGXhIQJLv8eeASQ")));
    assert_eq!(e.monetary_value, Some(40.0));
    assert_eq!(
        e.pipeline_id,
        Some(PipelineId::from("VDm7RPYC2GLUvdpKmBfC"))
    );
    assert_eq!(
        e.pipeline_stage_id,
        Some(PipelineStageId::from(
            "e93ba61a-53b3-45e7-985a-c7732dbcdb69"
        ))
    );
    assert_eq!(e.status, Some(OpportunityStatus::Open));
}

macro_rules! opportunity_test {
    ($name:ident, $variant:ident) => {
        #[test]
        fn $name() {
            check_opportunity(&expect!(by_type(stringify!($variant)), $variant));
        }
    };
}

opportunity_test!(opportunity_create, OpportunityCreate);
opportunity_test!(opportunity_update, OpportunityUpdate);
opportunity_test!(opportunity_delete, OpportunityDelete);
opportunity_test!(opportunity_stage_update, OpportunityStageUpdate);
opportunity_test!(opportunity_status_update, OpportunityStatusUpdate);
opportunity_test!(
    opportunity_monetary_value_update,
    OpportunityMonetaryValueUpdate
);
opportunity_test!(opportunity_assigned_to_update, OpportunityAssignedToUpdate);

fn check_order(e: &ghl_client::webhooks::OrderEvent, status: OrderStatus) {
    assert_eq!(e.id, Some(OrderId::from("660ed43bfdf9fc05a0de7a40")));
    assert_eq!(e.location_id, loc("Z4Bxl8J4SaPEPLq9IQ8g"));
    assert_eq!(e.status, Some(status));
    assert_eq!(e.amount, Some(150.1));
    assert_eq!(e.contact_id, Some(ContactId::from("ff2JstbQJfRuofXzeT0M")));
    let snapshot = e.contact_snapshot.as_ref().unwrap();
    assert_eq!(snapshot.first_name.as_deref(), Some("Maxwell"));
    assert_eq!(snapshot.dnd, Some(false));
    assert_eq!(e.items.len(), 2);
    let product = e.items[0].product.as_ref().unwrap();
    assert_eq!(
        product.id,
        Some(ProductId::from("660ed1ff95e1dc88d5b0d346"))
    );
    assert_eq!(product.variants[0].options.len(), 7);
    let price = e.items[0].price.as_ref().unwrap();
    assert_eq!(price.price_type, Some(PriceType::OneTime));
    assert_eq!(price.amount, Some(17.0));
    assert_eq!(e.amount_summary.as_ref().unwrap().tax, Some(12.1));
    assert_eq!(e.tax_summary[0].rate, Some(10.0));
    assert_eq!(e.source.as_ref().unwrap().kind.as_deref(), Some("website"));
}

#[test]
fn order_create() {
    check_order(
        &expect!(by_type("OrderCreate"), OrderCreate),
        OrderStatus::Pending,
    );
}

#[test]
fn order_status_update() {
    check_order(
        &expect!(by_type("OrderStatusUpdate"), OrderStatusUpdate),
        OrderStatus::Completed,
    );
}

#[test]
fn plan_change() {
    let e = expect!(by_type("PlanChange"), PlanChange);
    assert_eq!(e.app_id, Some(AppId::from("ve9EPM428h8vShlRW1KT")));
    assert_eq!(
        e.current_plan_id.as_deref(),
        Some("66a0419a0dffa47fb5f8b22f")
    );
    assert_eq!(e.new_plan_id.as_deref(), Some("66a0419a0dffa47fb5f8b22f"));
}

fn check_price(e: &ghl_client::webhooks::PriceEvent) {
    assert_eq!(e.id, Some(PriceId::from("655b33aa2209e60b6adb87a7")));
    assert_eq!(e.product, Some(ProductId::from("655b33a82209e60b6adb87a5")));
    assert_eq!(e.price_type, Some(PriceType::OneTime));
    assert_eq!(e.amount, Some(199_999.0));
    assert_eq!(e.currency.as_deref(), Some("INR"));
    assert_eq!(e.recurring.as_ref().unwrap().interval_count, Some(1));
    assert_eq!(e.membership_offers[0].label.as_deref(), Some("top_50"));
    assert_eq!(e.track_inventory, None);
    assert_eq!(e.allow_out_of_stock_purchases, Some(true));
}

#[test]
fn price_create() {
    // `priceType` on the create page.
    let e = as_type(WebhookEventType::PriceCreate, "PriceCreate");
    check_price(&expect!(e, PriceCreate));
}

#[test]
fn price_update() {
    // `type: one_time` on the update page: the price's kind, not an event type.
    let e = as_type(WebhookEventType::PriceUpdate, "PriceUpdate");
    check_price(&expect!(e, PriceUpdate));
    assert!(matches!(
        by_type("PriceUpdate"),
        WebhookEvent::Unknown { ref event_type, .. } if event_type == "one_time"
    ));
}

#[test]
fn price_delete() {
    let e = as_type(WebhookEventType::PriceDelete, "PriceDelete");
    check_price(&expect!(e, PriceDelete));
}

fn check_product(e: &ghl_client::webhooks::ProductEvent) {
    assert_eq!(e.id, Some(ProductId::from("655b33a82209e60b6adb87a5")));
    assert_eq!(e.name.as_deref(), Some("Awesome Product"));
    assert_eq!(e.product_type, Some(ProductType::Physical));
    assert_eq!(e.medias[0].is_featured, Some(true));
    assert_eq!(e.variants[0].options[0].name.as_deref(), Some("XL"));
    assert_eq!(e.location_id, loc("3SwdhCsvxI8Au3KsPJt6"));
}

#[test]
fn product_create() {
    let e = as_type(WebhookEventType::ProductCreate, "ProductCreate");
    check_product(&expect!(e, ProductCreate));
}

#[test]
fn product_update() {
    let e = as_type(WebhookEventType::ProductUpdate, "ProductUpdate");
    check_product(&expect!(e, ProductUpdate));
}

#[test]
fn product_delete() {
    let e = as_type(WebhookEventType::ProductDelete, "ProductDelete");
    check_product(&expect!(e, ProductDelete));
}

#[test]
fn provider_outbound_message() {
    let kind = WebhookEventType::ProviderOutboundMessage;
    let sms = expect!(
        as_type(kind.clone(), "ProviderOutboundMessage"),
        ProviderOutboundMessage
    );
    assert_eq!(sms.channel, Some(MessageType::Sms));
    assert_eq!(sms.phone.as_deref(), Some("+15864603685"));
    assert_eq!(
        sms.message_id,
        Some(MessageId::from("GKJxs4P5L8dWc5CFUITM"))
    );
    assert_eq!(sms.attachments.len(), 1);
    let email = expect!(
        as_type(kind, "ProviderOutboundMessage.email"),
        ProviderOutboundMessage
    );
    assert_eq!(email.channel, Some(MessageType::Email));
    assert_eq!(email.email_to, vec!["abc@gmail.com"]);
    assert_eq!(
        email.subject.as_deref(),
        Some("Subject from Conversation Page")
    );
    // By `type` alone it is unknown: the type is the channel.
    assert!(matches!(
        by_type("ProviderOutboundMessage"),
        WebhookEvent::Unknown { ref event_type, .. } if event_type == "SMS"
    ));
}

fn check_record(e: &ghl_client::webhooks::RecordEvent) {
    assert_eq!(e.id, Some(RecordId::from("679b8f9bde6a0c356a0311b3")));
    assert_eq!(e.owners, vec![UserId::from("60d5ec49f72b2a001f5f9d91")]);
    assert_eq!(e.followers.len(), 2);
    assert_eq!(e.properties[0].key.as_deref(), Some("pet_name"));
    assert_eq!(e.properties[0].value_string.as_deref(), Some("buddy"));
}

#[test]
fn record_create() {
    let e = as_type(WebhookEventType::RecordCreate, "RecordCreate");
    check_record(&expect!(e, RecordCreate));
}

#[test]
fn record_update() {
    let e = as_type(WebhookEventType::RecordUpdate, "RecordUpdate");
    check_record(&expect!(e, RecordUpdate));
}

#[test]
fn record_delete() {
    let e = as_type(WebhookEventType::RecordDelete, "RecordDelete");
    check_record(&expect!(e, RecordDelete));
}

fn check_relation(e: &ghl_client::webhooks::RelationEvent) {
    assert_eq!(e.first_object_key.as_deref(), Some("custom_objects.mad"));
    assert_eq!(e.second_object_key.as_deref(), Some("contact"));
    assert_eq!(e.second_record_id.as_deref(), Some("emqfhnG3g9D9chy9inTz"));
    assert_eq!(
        e.association_id,
        Some(AssociationId::from("669e5795add2094075906c65"))
    );
}

#[test]
fn relation_create() {
    let e = as_type(WebhookEventType::RelationCreate, "RelationCreate");
    check_relation(&expect!(e, RelationCreate));
}

#[test]
fn relation_delete() {
    let e = as_type(WebhookEventType::RelationDelete, "RelationDelete");
    check_relation(&expect!(e, RelationDelete));
}

#[test]
fn task_create() {
    let e = expect!(by_type("TaskCreate"), TaskCreate);
    assert_eq!(e.id, Some(TaskId::from("UlRWGLSXh0ji5qbiGu4i")));
    assert_eq!(e.assigned_to, Some(UserId::from("63e4qiWDsFJjOYAC8phG")));
    assert_eq!(e.due_date.as_deref(), Some("2021-11-26T12:41:02.193Z"));
}

#[test]
fn task_complete() {
    let e = expect!(by_type("TaskComplete"), TaskComplete);
    assert_eq!(e.id, Some(TaskId::from("5HrB1IbmnKMBXloldFuP")));
    assert_eq!(e.title.as_deref(), Some("test"));
    assert_eq!(e.contact_id, Some(ContactId::from("WFwVrSSjZ2CNHbZThQX2")));
}

#[test]
fn task_delete() {
    let e = expect!(by_type("TaskDelete"), TaskDelete);
    assert_eq!(e.body.as_deref(), Some("Loram ipsum"));
}

#[test]
fn user_create() {
    let e = expect!(by_type("UserCreate"), UserCreate);
    assert_eq!(e.location_id, loc("ve9EPM428h8vShlRW1KT"));
    assert_eq!(e.email.as_deref(), Some("john.doe+2@example.com"));
    assert_eq!(e.role.as_deref(), Some("user"));
    assert_eq!(e.permission("contactsEnabled"), Some(true));
    assert_eq!(e.permission("affiliateManagerEnabled"), Some(false));
    assert_eq!(e.permission("noSuchFlag"), None);
    let agency = expect!(by_type("UserCreate.agency"), UserCreate);
    assert_eq!(
        agency.company_id,
        Some(CompanyId::from("ve9EPM428h8vShlRW1KT"))
    );
    assert_eq!(
        agency.locations,
        vec![LocationId::from("ve9EPM428h8vShlRW1KT")]
    );
    assert_eq!(agency.role.as_deref(), Some("admin"));
}

/// The page name a fixture file belongs to (`InboundMessage.call` → `InboundMessage`).
fn page_of(file: &str) -> &str {
    file.split('.').next().unwrap_or(file)
}

#[test]
fn every_fixture_decodes_as_its_page_and_every_page_has_a_fixture() {
    let dir = format!("{}/tests/fixtures/webhooks", env!("CARGO_MANIFEST_DIR"));
    let mut pages = std::collections::BTreeSet::new();
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let page = page_of(&stem).to_owned();
        let kind = WebhookEventType::known()
            .iter()
            .find(|k| k.page_name() == Some(page.as_str()))
            .unwrap_or_else(|| panic!("{stem}: no event type for page {page}"))
            .clone();
        let event = WebhookEvent::from_slice_as(kind.clone(), &std::fs::read(&path).unwrap())
            .unwrap_or_else(|e| panic!("{stem}: {e}"));
        assert_eq!(event.event_type(), kind, "{stem}");
        assert!(!matches!(event, WebhookEvent::Unknown { .. }), "{stem}");
        pages.insert(page);
        files += 1;
    }
    assert_eq!(
        files, 69,
        "58 pages, 11 of them with a second or third example"
    );
    let expected: std::collections::BTreeSet<String> = WebhookEventType::known()
        .iter()
        .map(|k| k.page_name().unwrap().to_owned())
        .collect();
    assert_eq!(pages, expected);
    assert_eq!(expected.len(), 58);
}

#[test]
fn unknown_type_keeps_the_raw_json() {
    let body = br#"{"type":"FormSubmitted","locationId":"loc-1","webhookId":"w-1","form":{"id":"f1","fields":[1,2]}}"#;
    let event = WebhookEvent::from_slice(body).unwrap();
    match &event {
        WebhookEvent::Unknown { event_type, raw } => {
            assert_eq!(event_type, "FormSubmitted");
            assert_eq!(raw["form"]["fields"][1], 2);
        }
        other => panic!("expected Unknown, got {other:?}"),
    }
    assert_eq!(event.event_type().as_str(), "FormSubmitted");
    assert!(!event.event_type().is_known());
    let envelope = WebhookEnvelope::from_slice(body).unwrap();
    assert_eq!(envelope.location_id, loc("loc-1"));
    assert_eq!(envelope.webhook_id.unwrap().as_str(), "w-1");
}

#[test]
fn a_bad_field_is_reported_with_its_json_path() {
    let body = br#"{"type":"AppointmentCreate","appointment":{"id":"a1","users":"u1","startTime":{"not":"a date"},"appointmentStatus":7}}"#;
    let error = WebhookEvent::from_slice(body).unwrap_err();
    match error {
        ghl_client::webhooks::WebhookError::MalformedPayload {
            event_type,
            path,
            message,
        } => {
            assert_eq!(event_type.as_deref(), Some("AppointmentCreate"));
            assert_eq!(path, "appointment.appointmentStatus");
            assert!(message.contains("string"), "{message}");
        }
        other => panic!("expected MalformedPayload, got {other:?}"),
    }
    // Messages name the kind of the bad value, never the value (payloads hold personal data).
    for body in [
        &br#"{"type":"AppointmentCreate","appointment":"ann@example.com"}"#[..],
        br#"{"type":"ContactCreate","customFields":[{"id":"f1","value":1},{"id":["ann@example.com"]}]}"#,
        br#"{"type":"ContactCreate","dnd":"ann@example.com"}"#,
        br#"{"type":"ContactCreate","timestamp":"ann@example.com"}"#,
    ] {
        let error = WebhookEvent::from_slice(body).unwrap_err().to_string();
        assert!(!error.contains("ann@"), "{error}");
        assert!(error.contains("malformed webhook payload"), "{error}");
    }
    let not_json = WebhookEvent::from_slice(b"type=ContactCreate").unwrap_err();
    assert!(
        not_json.to_string().contains("malformed webhook payload"),
        "{not_json}"
    );
}

#[test]
fn lenient_scalars_and_lists() {
    let body = br#"{"type":"ContactUpdate","id":"c1","dnd":"true","tags":"vip","customFields":null,
                    "attachments":null,"email":null}"#;
    let c = expect!(WebhookEvent::from_slice(body).unwrap(), ContactUpdate);
    assert_eq!(c.dnd, Some(true));
    assert_eq!(c.tags, vec!["vip"]);
    assert!(c.custom_fields.is_empty());
    assert_eq!(c.email, None);
}

#[test]
fn event_types_name_their_pages_and_scopes() {
    assert_eq!(WebhookEventType::known().len(), 58);
    assert_eq!(
        WebhookEventType::from("INSTALL"),
        WebhookEventType::AppInstall
    );
    assert_eq!(
        WebhookEventType::from("AppInstall"),
        WebhookEventType::AppInstall
    );
    assert_eq!(WebhookEventType::AppInstall.as_str(), "INSTALL");
    assert_eq!(
        WebhookEventType::ConversationUnreadUpdate
            .doc_url()
            .as_deref(),
        Some("https://marketplace.gohighlevel.com/docs/webhook/ConversationUnreadWebhook")
    );
    assert_eq!(
        WebhookEventType::ContactCreate
            .required_scope()
            .unwrap()
            .as_str(),
        "contacts.readonly"
    );
    assert_eq!(WebhookEventType::AppInstall.required_scope(), None);
    assert_eq!(WebhookEventType::from("Nope").page_name(), None);
}
