//! The seeded salon generator: [`SalonSpec`] → [`Salon`].

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone as _, Timelike, Utc};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};

use super::model::{
    Address, Appointment, Branch, Client, ClientCategory, CreditAccount, LoyaltyCard, Product,
    Review, SaleLine, Service, ServiceCategory, Staff, Voucher,
};

/// How the generated clients are spread over the data-quality cases.
///
/// Every fraction is of the generated clients (the walk-in client excluded)
/// unless its doc says otherwise. A positive fraction always yields at least
/// one client, so a small salon still exercises every case.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientMix {
    /// Clients with an email and no phone.
    pub email_only: f64,
    /// Clients with a phone and no email.
    pub phone_only: f64,
    /// Clients with both an email and a phone (the rest have neither).
    pub email_and_phone: f64,
    /// Fraction of the emails that are malformed (`mary@gmail`, `a@@b.ie`, ...).
    pub invalid_email: f64,
    /// Fraction of the phones stored in local format (`087…` in IE).
    pub local_phone: f64,
    /// Clients whose email is a copy (case changed) of another client's email.
    pub shared_email: f64,
    /// Linked (family) clients sharing their parent's mobile.
    pub family_linked: f64,
    /// Duplicates merged into another client (`mergedToClientId`, deleted).
    pub merged: f64,
    /// Archived clients.
    pub archived: f64,
    /// Deleted clients.
    pub deleted: f64,
    /// Banned clients.
    pub banned: f64,
    /// Clients with an odd name (`  padded  `, empty last name, all caps).
    pub odd_names: f64,
}

impl Default for ClientMix {
    /// The mix of the real 14,806-client salon in `seed/sync-results.md`.
    fn default() -> Self {
        Self {
            email_only: 0.0637,
            phone_only: 0.5750,
            email_and_phone: 0.0815,
            invalid_email: 0.04,
            local_phone: 0.08,
            shared_email: 0.01,
            family_linked: 0.02,
            merged: 0.005,
            archived: 0.02,
            deleted: 0.01,
            banned: 0.003,
            odd_names: 0.01,
        }
    }
}

/// How the generated appointments are spread over their states.
#[derive(Debug, Clone, PartialEq)]
pub struct AppointmentMix {
    /// Bookings cancelled (every row `activationState = CANCELED`).
    pub cancelled: f64,
    /// Rows deleted.
    pub deleted: f64,
    /// Rows archived (`activationState = ARCHIVED`).
    pub archived: f64,
    /// Bookings with two or three services (rows sharing `bookingId`).
    pub multi_service: f64,
    /// Bookings for the walk-in client.
    pub walk_in: f64,
    /// On each DST-change day in the span, add one booking at a wall time
    /// that does not exist (spring) or exists twice (autumn).
    pub dst_edge_bookings: bool,
}

impl Default for AppointmentMix {
    fn default() -> Self {
        Self {
            cancelled: 0.08,
            deleted: 0.02,
            archived: 0.01,
            multi_service: 0.15,
            walk_in: 0.05,
            dst_edge_bookings: true,
        }
    }
}

/// The shape of a generated salon. Same spec (including `seed`) → same [`Salon`].
#[derive(Debug, Clone, PartialEq)]
pub struct SalonSpec {
    /// Seed of the `StdRng` driving every choice.
    pub seed: u64,
    /// Business name.
    pub business_name: String,
    /// Number of branches (at least one is always generated).
    pub branches: usize,
    /// Branch time zone; its DST changes matter for appointment times.
    pub time_zone: Tz,
    /// Branch country (ISO alpha-2); selects the phone formats.
    pub country: String,
    /// Branch currency (ISO 4217).
    pub currency: String,
    /// The generator's "now": every generated instant is at or before it.
    pub now: DateTime<Utc>,
    /// Staff members across all branches.
    pub staff: usize,
    /// Staff with a malformed email.
    pub staff_malformed_email: usize,
    /// Staff with neither email nor mobile.
    pub staff_without_contact: usize,
    /// Archived staff (hidden unless `fetch_archived=true`).
    pub staff_archived: usize,
    /// Clients, including the walk-in client.
    pub clients: usize,
    /// Clients with a loyalty card.
    pub loyalty_cards: usize,
    /// Client categories (one of them archived when there are three or more).
    pub client_categories: usize,
    /// Services (same ids in every branch).
    pub services: usize,
    /// Products across all branches.
    pub products: usize,
    /// Appointment rows across all branches.
    pub appointments: usize,
    /// First appointment date.
    pub appointments_from: NaiveDate,
    /// Number of days the appointments span.
    pub appointment_days: u32,
    /// Sales transactions (one to three lines each).
    pub sales_transactions: usize,
    /// Reviews.
    pub reviews: usize,
    /// Vouchers.
    pub vouchers: usize,
    /// Client data-quality mix.
    pub client_mix: ClientMix,
    /// Appointment state mix.
    pub appointment_mix: AppointmentMix,
}

impl Default for SalonSpec {
    /// [`SalonSpec::small`] with seed 0: one branch in `Europe/Dublin`
    /// (`IE`, `EUR`).
    fn default() -> Self {
        Self::small(0)
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

impl SalonSpec {
    /// The salon of `seed/sync-results.md`: 25 staff (3 malformed emails, 5
    /// without email or phone), 14,806 clients (~28 % without email or phone,
    /// 14.5 % with an email, 65.6 % with a phone), 10,600 loyalty cards, 10
    /// client categories, 1,206 products, 849 appointment rows from October to
    /// April (both Europe/Dublin DST changes) and 600 sales transactions.
    pub fn seed_report(seed: u64) -> Self {
        Self {
            seed,
            business_name: "Jazz Hair Studio".to_owned(),
            branches: 1,
            time_zone: chrono_tz::Europe::Dublin,
            country: "IE".to_owned(),
            currency: "EUR".to_owned(),
            now: Utc
                .with_ymd_and_hms(2026, 1, 15, 12, 0, 0)
                .single()
                .unwrap_or_default(),
            staff: 25,
            staff_malformed_email: 3,
            staff_without_contact: 5,
            staff_archived: 1,
            clients: 14_806,
            loyalty_cards: 10_600,
            client_categories: 10,
            services: 30,
            products: 1_206,
            appointments: 849,
            appointments_from: date(2025, 10, 1),
            appointment_days: 200,
            sales_transactions: 600,
            reviews: 40,
            vouchers: 30,
            client_mix: ClientMix::default(),
            appointment_mix: AppointmentMix::default(),
        }
    }

    /// A small salon that still exercises every quirk: 8 staff, 60 clients,
    /// 40 appointment rows over both DST changes.
    pub fn small(seed: u64) -> Self {
        Self {
            staff: 8,
            staff_malformed_email: 1,
            staff_without_contact: 1,
            staff_archived: 1,
            clients: 60,
            loyalty_cards: 40,
            client_categories: 4,
            services: 8,
            products: 12,
            appointments: 40,
            sales_transactions: 15,
            reviews: 5,
            vouchers: 4,
            ..Self::seed_report(seed)
        }
    }

    /// A large salon for benchmarks: 150,000 clients over 2 branches, with the
    /// other counts scaled up.
    pub fn large(seed: u64) -> Self {
        Self {
            branches: 2,
            staff: 120,
            staff_malformed_email: 10,
            staff_without_contact: 20,
            staff_archived: 5,
            clients: 150_000,
            loyalty_cards: 107_000,
            client_categories: 20,
            services: 60,
            products: 6_000,
            appointments: 8_600,
            sales_transactions: 6_000,
            reviews: 400,
            vouchers: 300,
            ..Self::seed_report(seed)
        }
    }

    /// Moves the salon in time: `now` becomes the generator's "now" and the
    /// appointments span two thirds before it and one third after it (same
    /// length). The fixed default keeps tests reproducible; anchor at
    /// `Utc::now()` for demos whose sync horizon is relative to today.
    /// Whether DST changes fall inside the span then depends on the dates
    /// (a span of 211 days or more always holds at least one).
    pub fn anchored_at(mut self, now: DateTime<Utc>) -> Self {
        let today = now.with_timezone(&self.time_zone).date_naive();
        let before = i64::from(self.appointment_days) * 2 / 3;
        self.now = millis(now);
        self.appointments_from = today - Duration::days(before);
        self
    }

    /// Generates the salon. Deterministic for a given spec.
    pub fn generate(&self) -> Salon {
        Generator::new(self).run()
    }
}

/// A generated Phorest business: the data the sandbox serves.
///
/// Lists are in the order the sandbox serves them (creation order).
#[derive(Debug, Clone)]
pub struct Salon {
    spec: SalonSpec,
    business_id: String,
    branches: Vec<Branch>,
    staff: Vec<Staff>,
    clients: Vec<Client>,
    client_index: HashMap<String, usize>,
    walk_in_client_id: String,
    client_categories: Vec<ClientCategory>,
    services: Vec<Service>,
    service_categories: Vec<ServiceCategory>,
    products: Vec<Product>,
    appointments: Vec<Appointment>,
    reviews: Vec<Review>,
    vouchers: Vec<Voucher>,
    sales: Vec<SaleLine>,
    /// Counter for ids minted by mutations (keeps them unique and deterministic).
    minted: u64,
    /// Hostile mode: a client edit that only changes the loyalty card keeps `updatedAt`.
    loyalty_keeps_updated_at: bool,
}

impl Salon {
    /// The spec the salon was generated from.
    pub fn spec(&self) -> &SalonSpec {
        &self.spec
    }
    /// The business id (first path segment after `/api/business`).
    pub fn business_id(&self) -> &str {
        &self.business_id
    }
    /// The branches.
    pub fn branches(&self) -> &[Branch] {
        &self.branches
    }
    /// The branch ids.
    pub fn branch_ids(&self) -> Vec<String> {
        self.branches.iter().map(|b| b.branch_id.clone()).collect()
    }
    /// The first branch's id.
    pub fn branch_id(&self) -> &str {
        self.branches.first().map_or("", |b| b.branch_id.as_str())
    }
    /// The branch time zone.
    pub fn time_zone(&self) -> Tz {
        self.spec.time_zone
    }
    /// Staff of every branch (archived included).
    pub fn staff(&self) -> &[Staff] {
        &self.staff
    }
    /// All clients, including the walk-in, archived, deleted and merged ones.
    pub fn clients(&self) -> &[Client] {
        &self.clients
    }
    /// One client by id.
    pub fn client(&self, id: &str) -> Option<&Client> {
        self.client_index.get(id).and_then(|&i| self.clients.get(i))
    }
    /// The walk-in placeholder client's id.
    pub fn walk_in_client_id(&self) -> &str {
        &self.walk_in_client_id
    }
    /// Client categories (archived included).
    pub fn client_categories(&self) -> &[ClientCategory] {
        &self.client_categories
    }
    /// Services (identical in every branch).
    pub fn services(&self) -> &[Service] {
        &self.services
    }
    /// Service categories.
    pub fn service_categories(&self) -> &[ServiceCategory] {
        &self.service_categories
    }
    /// Products of every branch (archived included).
    pub fn products(&self) -> &[Product] {
        &self.products
    }
    /// Appointment rows of every branch (cancelled, deleted, archived included).
    pub fn appointments(&self) -> &[Appointment] {
        &self.appointments
    }
    /// Reviews of every branch.
    pub fn reviews(&self) -> &[Review] {
        &self.reviews
    }
    /// Vouchers.
    pub fn vouchers(&self) -> &[Voucher] {
        &self.vouchers
    }
    /// Sales transaction lines of every branch.
    pub fn sales(&self) -> &[SaleLine] {
        &self.sales
    }

    /// Clients a default list (no `includeArchived`/`includeDeleted`) returns.
    pub fn listed_clients(&self) -> impl Iterator<Item = &Client> {
        self.clients.iter().filter(|c| !c.archived && !c.deleted)
    }

    /// Mints a fresh, deterministic 22-character id for records added later.
    pub fn mint_id(&mut self) -> String {
        self.minted += 1;
        let mut rng = StdRng::seed_from_u64(self.spec.seed ^ 0x5eed_0000_0000 ^ self.minted);
        random_id(&mut rng)
    }

    /// Applies `f` to the client with `id`, then bumps `version` and sets
    /// `updatedAt` to `now` (strictly later than before). `false` if unknown.
    ///
    /// With the hostile mode
    /// [`loyalty_changes_keep_updated_at`](super::Hostile::loyalty_changes_keep_updated_at)
    /// on, an edit that only changes the loyalty card leaves `updatedAt` as it was.
    pub fn update_client(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
        f: impl FnOnce(&mut Client),
    ) -> bool {
        let keep_for_loyalty = self.loyalty_keeps_updated_at;
        let Some(c) = self
            .client_index
            .get(id)
            .and_then(|&i| self.clients.get_mut(i))
        else {
            return false;
        };
        let before = keep_for_loyalty.then(|| c.clone());
        f(c);
        c.version += 1;
        let loyalty_only = before.is_some_and(|before| {
            before.loyalty_card != c.loyalty_card
                && Client {
                    loyalty_card: c.loyalty_card.clone(),
                    version: c.version,
                    ..before
                } == *c
        });
        if !loyalty_only {
            c.updated_at = touched(c.updated_at, now);
        }
        true
    }

    /// Turns the hostile mode "a loyalty change keeps `updatedAt`" on or off.
    pub(crate) fn set_loyalty_changes_keep_updated_at(&mut self, on: bool) {
        self.loyalty_keeps_updated_at = on;
    }

    /// Adds a client built by `f` from a blank client with a fresh id and
    /// `createdAt = updatedAt = now`; returns its id (which `f` may replace).
    pub fn add_client(&mut self, now: DateTime<Utc>, f: impl FnOnce(&mut Client)) -> String {
        let mut c = Client {
            client_id: self.mint_id(),
            version: 1,
            creating_branch_id: Some(self.branch_id().to_owned()),
            created_at: millis(now),
            updated_at: millis(now),
            client_since: Some(millis(now)),
            ..Client::default()
        };
        f(&mut c);
        let id = c.client_id.clone();
        self.client_index.insert(id.clone(), self.clients.len());
        self.clients.push(c);
        id
    }

    /// Adds a voucher built by `f` from a blank voucher with a fresh id, issued `now` at the
    /// first branch with the next free `V…` serial; returns its id.
    pub fn add_voucher(&mut self, now: DateTime<Utc>, f: impl FnOnce(&mut Voucher)) -> String {
        let serial = format!("V{:06}", 100_000 + self.vouchers.len());
        let mut v = Voucher {
            voucher_id: self.mint_id(),
            serial_number: serial,
            issue_date: millis(now),
            creating_branch_id: self.branch_id().to_owned(),
            ..Voucher::default()
        };
        f(&mut v);
        let id = v.voucher_id.clone();
        self.vouchers.push(v);
        id
    }

    /// Appends sale lines (a purchase), as the `TRANSACTIONS_CSV` export will list them.
    pub fn add_sale_lines(&mut self, lines: impl IntoIterator<Item = SaleLine>) {
        self.sales.extend(lines);
    }

    /// Applies `f` to the appointment with `id`, bumping `version` and `updatedAt`.
    pub fn update_appointment(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
        f: impl FnOnce(&mut Appointment),
    ) -> bool {
        touch_where(
            &mut self.appointments,
            |a| a.appointment_id == id,
            |a| {
                f(a);
                a.version += 1;
                a.updated_at = touched(a.updated_at, now);
            },
        )
    }

    /// Applies `f` to the staff member with `id`, bumping `updatedAt`.
    pub fn update_staff(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
        f: impl FnOnce(&mut Staff),
    ) -> bool {
        touch_where(
            &mut self.staff,
            |s| s.staff_id == id,
            |s| {
                f(s);
                s.updated_at = touched(s.updated_at, now);
            },
        )
    }

    /// Applies `f` to the product with `id`, bumping `updatedAt`.
    pub fn update_product(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
        f: impl FnOnce(&mut Product),
    ) -> bool {
        touch_where(
            &mut self.products,
            |p| p.product_id == id,
            |p| {
                f(p);
                p.updated_at = touched(p.updated_at, now);
            },
        )
    }

    /// Adds an appointment row built by `f` from a blank `BOOKED`/`ACTIVE` row
    /// on the first branch; returns its id.
    pub fn add_appointment(
        &mut self,
        now: DateTime<Utc>,
        f: impl FnOnce(&mut Appointment),
    ) -> String {
        let id = self.mint_id();
        let mut a = Appointment {
            appointment_id: id.clone(),
            booking_id: self.mint_id(),
            version: 1,
            branch_id: self.branch_id().to_owned(),
            state: "BOOKED".to_owned(),
            activation_state: "ACTIVE".to_owned(),
            source: "API".to_owned(),
            created_at: millis(now),
            updated_at: millis(now),
            ..Appointment::default()
        };
        f(&mut a);
        let id = a.appointment_id.clone();
        self.appointments.push(a);
        id
    }
}

/// Applies `f` to the first item matching `pred`; `false` when none matches.
fn touch_where<T>(items: &mut [T], pred: impl Fn(&T) -> bool, f: impl FnOnce(&mut T)) -> bool {
    match items.iter_mut().find(|t| pred(t)) {
        Some(t) => {
            f(t);
            true
        }
        None => false,
    }
}

/// `now` truncated to milliseconds, but strictly after `previous`.
fn touched(previous: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    let now = millis(now);
    if now > previous {
        now
    } else {
        previous + Duration::milliseconds(1)
    }
}

/// Truncates an instant to whole milliseconds (Phorest's precision).
pub(crate) fn millis(t: DateTime<Utc>) -> DateTime<Utc> {
    let ms = t.timestamp_millis();
    DateTime::from_timestamp_millis(ms).unwrap_or(t)
}

/// A 22-character URL-safe base64 id, like Phorest's.
fn random_id(rng: &mut StdRng) -> String {
    let bytes: [u8; 16] = rng.random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `round(fraction * n)`, at least 1 when the fraction is positive, at most `n`.
fn portion(fraction: f64, n: usize) -> usize {
    if fraction <= 0.0 || n == 0 {
        return 0;
    }
    ((fraction * n as f64).round() as usize).clamp(1, n)
}

const FIRST_NAMES: &[&str] = &[
    "Aoife",
    "Siobhán",
    "Niamh",
    "Ciara",
    "Saoirse",
    "Orla",
    "Éabha",
    "Róisín",
    "Sinéad",
    "Mary",
    "Anne",
    "Sarah",
    "Emma",
    "Chloe",
    "Zoë",
    "Grace",
    "Sophie",
    "Kate",
    "Laura",
    "Rachel",
    "Seán",
    "Conor",
    "Cian",
    "Darragh",
    "Oisín",
    "Patrick",
    "John",
    "Michael",
    "Liam",
    "Jack",
    "Ana",
    "María José",
    "Nguyễn Thị",
    "Agnieszka",
    "Olga",
    "Fatima",
    "Mei",
    "Priya",
];
const LAST_NAMES: &[&str] = &[
    "Murphy",
    "Kelly",
    "O'Sullivan",
    "Walsh",
    "O'Brien",
    "Byrne",
    "Ryan",
    "O'Connor",
    "Ní Bhriain",
    "Ó Súilleabháin",
    "Mac Cárthaigh",
    "McCarthy",
    "Doyle",
    "Gallagher",
    "Kennedy",
    "Lynch",
    "Murray",
    "Quinn",
    "Moore",
    "Fitzgerald",
    "de Búrca",
    "van der Berg",
    "Kowalska",
    "García López",
    "Nowak",
    "Smith-Jones",
    "D'Arcy",
    "Brennan",
    "Keane",
    "Power",
];
const EMAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "hotmail.com",
    "yahoo.ie",
    "eircom.net",
    "outlook.com",
    "icloud.com",
    "live.ie",
];
const CATEGORY_NAMES: &[&str] = &[
    "VIP",
    "Colour Client",
    "Bridal",
    "Student",
    "Staff Family",
    "Men's Grooming",
    "Lapsed",
    "Loyalty Gold",
    "Online Booker",
    "Model",
    "Corporate",
    "Influencer",
];
const SERVICE_CATEGORIES: &[&str] = &[
    "Cuts",
    "Colour",
    "Treatments",
    "Styling",
    "Men's",
    "Add-ons",
];
const SERVICE_NAMES: &[&str] = &[
    "Cut & Blow Dry",
    "Wash, Cut & Finish",
    "Full Head Colour",
    "Half Head Foils",
    "Full Head Foils",
    "Balayage",
    "Root Tint",
    "Toner",
    "Olaplex Treatment",
    "Keratin Smoothing",
    "Blow Dry",
    "Upstyle",
    "Bridal Trial",
    "Gents Cut",
    "Beard Trim",
    "Fringe Trim",
    "Deep Conditioning",
    "Scalp Massage",
];
const BRANDS: &[&str] = &[
    "Kérastase",
    "L'Oréal Professionnel",
    "Redken",
    "Olaplex",
    "Moroccanoil",
    "ghd",
    "Wella",
    "Davines",
];
const PRODUCT_LINES: &[&str] = &[
    "Shampoo",
    "Conditioner",
    "Elixir \"L'Huile Originale\"",
    "Hair Mask",
    "Heat Protect Spray",
    "Dry Shampoo",
    "Curl Cream",
    "Styling Gel, Extra Hold",
    "Serum",
    "Gift Set, Christmas",
];
const STAFF_CATEGORIES: &[&str] = &["Junior Stylist", "Stylist", "Senior Stylist", "Colourist"];

struct Generator<'a> {
    spec: &'a SalonSpec,
    rng: StdRng,
}

impl<'a> Generator<'a> {
    fn new(spec: &'a SalonSpec) -> Self {
        Self {
            spec,
            rng: StdRng::seed_from_u64(spec.seed),
        }
    }

    fn id(&mut self) -> String {
        random_id(&mut self.rng)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    fn pick<'s>(&mut self, items: &[&'s str]) -> &'s str {
        items
            .get(self.rng.random_range(0..items.len().max(1)))
            .copied()
            .unwrap_or_default()
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.rng.random_range(0..10u8)))
            .collect()
    }

    /// An instant uniformly between `from` and `to` (millisecond precision).
    fn instant_between(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
        let (a, b) = (from.timestamp_millis(), to.timestamp_millis());
        if b <= a {
            return millis(from);
        }
        DateTime::from_timestamp_millis(self.rng.random_range(a..=b)).unwrap_or(from)
    }

    /// A mobile in the branch country's format, international or local.
    fn mobile(&mut self, local: bool) -> String {
        match (self.spec.country.as_str(), local) {
            ("GB", false) => format!("447{}", self.digits(9)),
            ("GB", true) => format!("07{}", self.digits(9)),
            ("US" | "CA", false) => format!("1{}555{}", self.digits(3), self.digits(4)),
            ("US" | "CA", true) => format!("{}555{}", self.digits(3), self.digits(4)),
            (_, local) => {
                let prefix = self.pick(&["3", "5", "6", "7", "9"]);
                let rest = self.digits(7);
                if local {
                    format!("08{prefix}{rest}")
                } else {
                    format!("3538{prefix}{rest}")
                }
            }
        }
    }

    fn land_line(&mut self) -> String {
        match self.spec.country.as_str() {
            "GB" => format!("4420{}", self.digits(8)),
            "US" | "CA" => format!("1{}555{}", self.digits(3), self.digits(4)),
            _ => format!("3531{}", self.digits(7)),
        }
    }

    fn email_for(&mut self, first: &str, last: &str) -> String {
        let fold = |s: &str| -> String {
            s.chars()
                .filter_map(|c| match c {
                    'á' | 'à' | 'Á' => Some('a'),
                    'é' | 'É' | 'ë' => Some('e'),
                    'í' | 'Í' => Some('i'),
                    'ó' | 'Ó' => Some('o'),
                    'ú' | 'Ú' => Some('u'),
                    c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
                    _ => None,
                })
                .collect()
        };
        let (f, l) = (fold(first), fold(last));
        let n = self.rng.random_range(1..999);
        let domain = self.pick(EMAIL_DOMAINS);
        match (f.is_empty(), l.is_empty()) {
            (false, false) => format!("{f}.{l}{n}@{domain}"),
            (false, true) => format!("{f}{n}@{domain}"),
            _ => format!("client{n}@{domain}"),
        }
    }

    fn malformed_email(&mut self, first: &str) -> String {
        let f: String = first
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        let f = if f.is_empty() { "info".to_owned() } else { f };
        match self.rng.random_range(0..5) {
            0 => format!("{f}@gmail"),
            1 => format!("{f}@@hotmail.com"),
            2 => format!("{f} gmail.com"),
            3 => format!("{f}@gmail..com"),
            _ => format!("{f}.hotmail.com"),
        }
    }

    fn run(mut self) -> Salon {
        let spec = self.spec;
        let business_id = self.id();
        let branches = self.branches();
        let branch_ids: Vec<String> = branches.iter().map(|b| b.branch_id.clone()).collect();
        let first_branch = branch_ids.first().cloned().unwrap_or_default();
        let client_categories = self.client_categories();
        let (service_categories, services) = self.services();
        let staff = self.staff(&branch_ids);
        let (clients, walk_in_client_id) = self.clients(&first_branch, &client_categories, &staff);
        let client_index = clients
            .iter()
            .enumerate()
            .map(|(i, c)| (c.client_id.clone(), i))
            .collect();
        let products = self.products(&branch_ids);
        let appointments = self.appointments(&staff, &clients, &walk_in_client_id, &services);
        let sales = self.sales(&staff, &clients, &walk_in_client_id, &products, &services);
        let reviews = self.reviews(&staff, &clients, &walk_in_client_id);
        let vouchers = self.vouchers(&clients, &first_branch);
        Salon {
            spec: spec.clone(),
            business_id,
            branches,
            staff,
            clients,
            client_index,
            walk_in_client_id,
            client_categories,
            services,
            service_categories,
            products,
            appointments,
            reviews,
            vouchers,
            sales,
            minted: 0,
            loyalty_keeps_updated_at: false,
        }
    }

    fn branches(&mut self) -> Vec<Branch> {
        let towns = ["Dublin 2", "Galway", "Cork", "Limerick", "Kilkenny"];
        (0..self.spec.branches.max(1))
            .map(|i| {
                let town = towns.get(i % towns.len()).copied().unwrap_or("Dublin 2");
                Branch {
                    branch_id: self.id(),
                    // Phorest keeps trailing spaces in names.
                    name: format!("{} - {town}  ", self.spec.business_name),
                    time_zone: self.spec.time_zone.name().to_owned(),
                    street_address1: format!("{} Main Street", i + 1),
                    street_address2: String::new(),
                    city: town.to_owned(),
                    state: String::new(),
                    postal_code: format!("D0{}", i + 2),
                    country: self.spec.country.clone(),
                    currency_code: self.spec.currency.clone(),
                    latitude: Some(53.34 + i as f64 * 0.1),
                    longitude: None,
                    account_id: Some(10_000 + i as i64),
                }
            })
            .collect()
    }

    fn client_categories(&mut self) -> Vec<ClientCategory> {
        let n = self.spec.client_categories;
        (0..n)
            .map(|i| ClientCategory {
                client_category_id: self.id(),
                name: CATEGORY_NAMES
                    .get(i)
                    .map_or_else(|| format!("Category {}", i + 1), |s| (*s).to_owned()),
                archived: n >= 3 && i == n - 1,
            })
            .collect()
    }

    fn services(&mut self) -> (Vec<ServiceCategory>, Vec<Service>) {
        let categories: Vec<ServiceCategory> = SERVICE_CATEGORIES
            .iter()
            .map(|name| ServiceCategory {
                category_id: self.id(),
                name: (*name).to_owned(),
                description: None,
            })
            .collect();
        let n = self.spec.services;
        let services = (0..n)
            .map(|i| {
                let addon = n >= 4 && i + 1 == n;
                let name = SERVICE_NAMES
                    .get(i % SERVICE_NAMES.len())
                    .copied()
                    .unwrap_or("Service");
                let name = if i >= SERVICE_NAMES.len() {
                    format!("{name} ({})", i / SERVICE_NAMES.len() + 1)
                } else {
                    name.to_owned()
                };
                let category = if addon {
                    categories.last()
                } else {
                    categories.get(i % categories.len().saturating_sub(1).max(1))
                };
                Service {
                    service_id: self.id(),
                    category_id: category.map(|c| c.category_id.clone()).unwrap_or_default(),
                    name,
                    description: None,
                    price: f64::from(self.rng.random_range(3..30u32)) * 5.0,
                    duration: if addon {
                        15
                    } else {
                        15 * self.rng.random_range(2..9i64)
                    },
                    gap_time: 0,
                    internet_enabled: self.chance(0.7),
                    archived: false,
                    deleted: false,
                    is_addon_only: addon,
                }
            })
            .collect();
        (categories, services)
    }

    fn staff(&mut self, branch_ids: &[String]) -> Vec<Staff> {
        let spec = self.spec;
        // Roles: 0 = malformed email, 1 = no contact, 2 = archived (valid), 3 = normal.
        let mut roles: Vec<u8> = (0..spec.staff)
            .map(|i| {
                if i < spec.staff_malformed_email {
                    0
                } else if i < spec.staff_malformed_email + spec.staff_without_contact {
                    1
                } else if i < spec.staff_malformed_email
                    + spec.staff_without_contact
                    + spec.staff_archived
                {
                    2
                } else {
                    3
                }
            })
            .collect();
        roles.shuffle(&mut self.rng);
        let start = spec.now - Duration::days(365 * 4);
        let mut staff: Vec<Staff> = roles
            .into_iter()
            .enumerate()
            .map(|(i, role)| {
                let first = self.pick(FIRST_NAMES).to_owned();
                let last = self.pick(LAST_NAMES).to_owned();
                let email = match role {
                    0 => Some(self.malformed_email(&first)),
                    1 => None,
                    _ => Some(self.email_for(&first, &last)),
                };
                let mobile = (role != 1).then(|| self.mobile(false));
                let created_at = self.instant_between(start, spec.now - Duration::days(30));
                let updated_at = self.instant_between(created_at, spec.now);
                let category = self.rng.random_range(0..STAFF_CATEGORIES.len());
                Staff {
                    staff_id: self.id(),
                    branch_id: branch_ids
                        .get(i % branch_ids.len().max(1))
                        .cloned()
                        .unwrap_or_default(),
                    user_id: self.id(),
                    staff_category_id: Some(format!("staff-category-{category}")),
                    staff_category_name: STAFF_CATEGORIES.get(category).map(|s| (*s).to_owned()),
                    first_name: first,
                    last_name: last,
                    email,
                    mobile,
                    gender: Some(self.pick(&["FEMALE", "MALE", "FEMALE"]).to_owned()),
                    birth_date: None,
                    start_date: Some(created_at.date_naive()),
                    self_employed: self.chance(0.1),
                    archived: role == 2,
                    deleted: false,
                    notes: None,
                    hide_from_online_bookings: false,
                    hide_from_appointment_screen: false,
                    created_at,
                    updated_at,
                }
            })
            .collect();
        staff.sort_by_key(|s| s.created_at);
        staff
    }

    /// Generates the clients (walk-in first) and returns them with the walk-in id.
    fn clients(
        &mut self,
        branch_id: &str,
        categories: &[ClientCategory],
        staff: &[Staff],
    ) -> (Vec<Client>, String) {
        let spec = self.spec;
        let mix = &spec.client_mix;
        let n = spec.clients.saturating_sub(1);
        // Contact kinds: 0 neither, 1 email only, 2 phone only, 3 both.
        let mut kinds = vec![0u8; n];
        let counts = [
            (1u8, portion(mix.email_only, n)),
            (2, portion(mix.phone_only, n)),
            (3, portion(mix.email_and_phone, n)),
        ];
        let mut at = 0;
        for (kind, count) in counts {
            for k in kinds.iter_mut().skip(at).take(count) {
                *k = kind;
            }
            at += count;
        }
        kinds.shuffle(&mut self.rng);

        let history_start = spec.now - Duration::days(365 * 8);
        let walk_in_id = self.id();
        let mut clients = Vec::with_capacity(spec.clients.max(1));
        clients.push(Client {
            client_id: walk_in_id.clone(),
            version: 1,
            first_name: "Walk-in".to_owned(),
            last_name: "Client".to_owned(),
            creating_branch_id: Some(branch_id.to_owned()),
            created_at: millis(history_start),
            updated_at: millis(history_start),
            client_since: Some(millis(history_start)),
            notes: Some("Default client for walk-in sales".to_owned()),
            ..Client::default()
        });
        let emailed_kind = |k: u8| k == 1 || k == 3;
        let phoned_kind = |k: u8| k >= 2;
        let emailed = kinds.iter().filter(|&&k| emailed_kind(k)).count();
        let phoned = kinds.iter().filter(|&&k| phoned_kind(k)).count();
        let (mut invalid_left, mut local_left) = (
            portion(mix.invalid_email, emailed),
            portion(mix.local_phone, phoned),
        );
        let (mut emailed_left, mut phoned_left) = (emailed, phoned);
        let step = (spec.now - history_start).num_milliseconds() / (n.max(1) as i64);
        for (i, kind) in kinds.into_iter().enumerate() {
            let mut first = self.pick(FIRST_NAMES).to_owned();
            let mut last = self.pick(LAST_NAMES).to_owned();
            let email = emailed_kind(kind).then(|| {
                // Spread the invalid ones evenly and exactly over the emails.
                let invalid = self.rng.random_range(0..emailed_left) < invalid_left;
                emailed_left -= 1;
                if invalid {
                    invalid_left -= 1;
                    self.malformed_email(&first)
                } else {
                    self.email_for(&first, &last)
                }
            });
            let mobile = phoned_kind(kind).then(|| {
                let local = self.rng.random_range(0..phoned_left) < local_left;
                phoned_left -= 1;
                if local {
                    local_left -= 1;
                }
                self.mobile(local)
            });
            let land_line = (mobile.is_some() && self.chance(0.05)).then(|| self.land_line());
            if self.chance(mix.odd_names) {
                match self.rng.random_range(0..3) {
                    0 => first = format!("  {first}  "),
                    1 => last = String::new(),
                    _ => last = last.to_uppercase(),
                }
            }
            let created_at = DateTime::from_timestamp_millis(
                history_start.timestamp_millis()
                    + step * i as i64
                    + self.rng.random_range(0..step.max(1)),
            )
            .unwrap_or(history_start);
            let updated_at = if self.chance(0.3) {
                self.instant_between(created_at, spec.now)
            } else {
                created_at
            };
            let category_ids = if categories.is_empty() || !self.chance(0.3) {
                Vec::new()
            } else {
                let k = self.rng.random_range(1..=2.min(categories.len()));
                categories
                    .choose_multiple(&mut self.rng, k)
                    .map(|c| c.client_category_id.clone())
                    .collect()
            };
            let first_visit = self
                .chance(0.8)
                .then(|| self.instant_between(created_at, spec.now));
            let last_visit = first_visit.map(|f| self.instant_between(f, spec.now));
            clients.push(Client {
                client_id: self.id(),
                version: self.rng.random_range(1..12),
                first_name: first,
                last_name: last,
                mobile,
                land_line,
                email,
                address: self.chance(0.4).then(|| Address {
                    street_address1: format!("{} Church Road", self.rng.random_range(1..200)),
                    street_address2: String::new(),
                    city: "Dublin".to_owned(),
                    state: "Co. Dublin".to_owned(),
                    postal_code: format!("D{:02}", self.rng.random_range(1..25)),
                    country: spec.country.clone(),
                }),
                birth_date: self
                    .chance(0.3)
                    .then(|| date(1950, 1, 1) + Duration::days(self.rng.random_range(0..20_000))),
                client_since: Some(created_at),
                gender: Some(
                    self.pick(&["FEMALE", "FEMALE", "MALE", "NOT_SPECIFIED", "NON_BINARY"])
                        .to_owned(),
                ),
                notes: None,
                sms_marketing_consent: self.chance(0.4),
                email_marketing_consent: self.chance(0.3),
                sms_reminder_consent: self.chance(0.8),
                email_reminder_consent: self.chance(0.7),
                preferred_staff_id: (!staff.is_empty() && self.chance(0.3))
                    .then(|| {
                        staff
                            .get(self.rng.random_range(0..staff.len()))
                            .map(|s| s.staff_id.clone())
                    })
                    .flatten(),
                external_id: None,
                creating_branch_id: Some(branch_id.to_owned()),
                last_visited_branch_id: last_visit.map(|_| branch_id.to_owned()),
                archived: false,
                banned: false,
                deleted: false,
                merged_to_client_id: None,
                linked_client_mobile: None,
                linked_client_id: None,
                client_category_ids: category_ids,
                created_at,
                updated_at,
                first_visit,
                last_visit,
                photo_url: None,
                credit_account: self.chance(0.02).then_some(CreditAccount {
                    outstanding_balance: 0.0,
                    credit_days: 30,
                    credit_limit: 500.0,
                }),
                loyalty_card: None,
            });
        }
        self.client_quirks(&mut clients);
        (clients, walk_in_id)
    }

    /// Loyalty cards, duplicates, family links, merges and flags, on shuffled
    /// disjoint picks of the generated clients (the walk-in is never touched).
    fn client_quirks(&mut self, clients: &mut [Client]) {
        let spec = self.spec;
        let mix = &spec.client_mix;
        let Some((_, rest)) = clients.split_first_mut() else {
            return;
        };
        let n = rest.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut self.rng);
        for &i in order.iter().take(spec.loyalty_cards.min(n)) {
            let points = if self.chance(0.45) {
                0.0
            } else if self.chance(0.05) {
                f64::from(self.rng.random_range(1..400u32)) + 0.5
            } else {
                f64::from(self.rng.random_range(1..3000u32))
            };
            if let Some(c) = rest.get_mut(i) {
                c.loyalty_card = Some(LoyaltyCard {
                    serial: format!("{:08}", 10_000_000 + i),
                    points,
                });
            }
        }
        order.shuffle(&mut self.rng);
        let emailed: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| rest.get(i).is_some_and(|c| c.email.is_some()))
            .collect();
        let phoned: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| rest.get(i).is_some_and(|c| c.mobile.is_some()))
            .collect();
        // Shared emails: the second half of a pair takes the first's email, recased.
        let pairs = portion(mix.shared_email, n).min(emailed.len() / 2);
        for k in 0..pairs {
            let (Some(&a), Some(&b)) = (emailed.get(2 * k), emailed.get(2 * k + 1)) else {
                break;
            };
            let shared = rest.get(a).and_then(|c| c.email.clone());
            if let (Some(shared), Some(c)) = (shared, rest.get_mut(b)) {
                c.email = Some(shared.to_uppercase());
            }
        }
        // Family links: a child shares the parent's mobile.
        let families = portion(mix.family_linked, n).min(phoned.len() / 2);
        for k in 0..families {
            let (Some(&parent), Some(&child)) = (phoned.get(2 * k), phoned.get(2 * k + 1)) else {
                break;
            };
            let parent_data = rest
                .get(parent)
                .map(|p| (p.client_id.clone(), p.mobile.clone()));
            if let (Some((pid, mobile)), Some(c)) = (parent_data, rest.get_mut(child)) {
                c.linked_client_id = Some(pid);
                c.linked_client_mobile.clone_from(&mobile);
                c.mobile = mobile;
            }
        }
        // Flags on disjoint picks from a fresh shuffle.
        order.shuffle(&mut self.rng);
        let mut picks = order.into_iter();
        let mut take =
            |fraction: f64| -> Vec<usize> { picks.by_ref().take(portion(fraction, n)).collect() };
        let merged = take(mix.merged);
        let archived = take(mix.archived);
        let deleted = take(mix.deleted);
        let banned = take(mix.banned);
        for i in merged {
            let target = self.rng.random_range(0..n);
            let target = if target == i { (i + 1) % n } else { target };
            let target_id = rest.get(target).map(|c| c.client_id.clone());
            if let Some(c) = rest.get_mut(i) {
                c.merged_to_client_id = target_id;
                c.deleted = true;
            }
        }
        for (list, set) in [
            (
                archived,
                (|c: &mut Client| c.archived = true) as fn(&mut Client),
            ),
            (deleted, |c: &mut Client| c.deleted = true),
            (banned, |c: &mut Client| c.banned = true),
        ] {
            for i in list {
                if let Some(c) = rest.get_mut(i) {
                    set(c);
                }
            }
        }
    }

    fn products(&mut self, branch_ids: &[String]) -> Vec<Product> {
        let spec = self.spec;
        let start = spec.now - Duration::days(365 * 3);
        let mut products: Vec<Product> = (0..spec.products)
            .map(|i| {
                let brand = self.pick(BRANDS);
                let line = self.pick(PRODUCT_LINES);
                let size = self.pick(&["50ml", "100ml", "250ml", "500ml", "1L"]);
                let created_at = self.instant_between(start, spec.now - Duration::days(1));
                let updated_at = self.instant_between(created_at, spec.now);
                Product {
                    product_id: self.id(),
                    parent_product_id: None,
                    branch_id: branch_ids
                        .get(i % branch_ids.len().max(1))
                        .cloned()
                        .unwrap_or_default(),
                    name: format!("{brand} {line} {size}"),
                    brand_id: Some(format!("brand-{brand}").replace(' ', "-")),
                    brand_name: Some(brand.to_owned()),
                    category_id: Some(format!("product-category-{}", i % 5)),
                    category_name: Some(
                        ["Haircare", "Styling", "Treatments", "Tools", "Gifts"]
                            .get(i % 5)
                            .copied()
                            .unwrap_or("Haircare")
                            .to_owned(),
                    ),
                    archived: self.chance(0.05),
                    price: f64::from(self.rng.random_range(500..6000u32)) / 100.0,
                    min_quantity: 1.0,
                    max_quantity: 20.0,
                    product_type: self.pick(&["RETAIL", "RETAIL", "PROFESSIONAL"]).to_owned(),
                    barcode: self.chance(0.8).then(|| self.digits(13)),
                    code: Some(format!("P{:05}", i + 1)),
                    measurement_quantity: Some(100.0),
                    measurement_unit: Some("ml".to_owned()),
                    reorder_count: 5.0,
                    reorder_cost: 0.0,
                    quantity_in_stock: if self.chance(0.1) {
                        f64::from(self.rng.random_range(0..40u32)) + 0.25
                    } else {
                        f64::from(self.rng.random_range(0..40u32))
                    },
                    created_at,
                    updated_at,
                }
            })
            .collect();
        products.sort_by_key(|p| p.created_at);
        products
    }

    /// Every DST-change day in the span with a wall time that is skipped or
    /// repeated on it.
    fn dst_edges(&self) -> Vec<(NaiveDate, NaiveTime)> {
        let tz = self.spec.time_zone;
        let mut edges = Vec::new();
        for d in 0..self.spec.appointment_days {
            let day = self.spec.appointments_from + Duration::days(i64::from(d));
            // The first quarter hour that is skipped or repeated; on the hour,
            // move to the middle of the (usually hour-long) gap or overlap.
            let edge = (0..24 * 4).find_map(|q| {
                let t = NaiveTime::from_hms_opt(q / 4, (q % 4) * 15, 0)?;
                match tz.from_local_datetime(&day.and_time(t)) {
                    LocalResult::Single(_) => None,
                    _ if t.minute() == 0 => Some(t + Duration::minutes(30)),
                    _ => Some(t),
                }
            });
            if let Some(t) = edge {
                edges.push((day, t));
            }
        }
        edges
    }

    fn appointments(
        &mut self,
        staff: &[Staff],
        clients: &[Client],
        walk_in: &str,
        services: &[Service],
    ) -> Vec<Appointment> {
        let spec = self.spec;
        let mix = &spec.appointment_mix;
        let bookable: Vec<&Service> = services.iter().filter(|s| !s.is_addon_only).collect();
        let active_staff: Vec<&Staff> = staff.iter().filter(|s| !s.archived).collect();
        let listed: Vec<&Client> = clients
            .iter()
            .skip(1)
            .filter(|c| !c.archived && !c.deleted)
            .collect();
        if bookable.is_empty() || active_staff.is_empty() {
            return Vec::new();
        }
        let mut forced: Vec<(NaiveDate, NaiveTime)> = if mix.dst_edge_bookings {
            self.dst_edges()
        } else {
            Vec::new()
        };
        forced.reverse();
        let today = spec.now.with_timezone(&spec.time_zone).date_naive();
        let mut rows = Vec::with_capacity(spec.appointments);
        while rows.len() < spec.appointments {
            let (day, mut start) = match forced.pop() {
                Some(edge) => edge,
                None => {
                    let d = self.rng.random_range(0..spec.appointment_days.max(1));
                    let q = self.rng.random_range(0..36u32);
                    (
                        spec.appointments_from + Duration::days(i64::from(d)),
                        NaiveTime::from_hms_opt(9 + q / 4, (q % 4) * 15, 0).unwrap_or_default(),
                    )
                }
            };
            let client_id = if listed.is_empty() || self.chance(mix.walk_in) {
                walk_in.to_owned()
            } else {
                listed
                    .get(self.rng.random_range(0..listed.len()))
                    .map(|c| c.client_id.clone())
                    .unwrap_or_else(|| walk_in.to_owned())
            };
            let segments = if self.chance(mix.multi_service) {
                self.rng.random_range(2..=3)
            } else {
                1
            };
            let segments = segments.min(spec.appointments - rows.len());
            let cancelled = self.chance(mix.cancelled);
            let past = day < today;
            let state = if !past {
                "BOOKED"
            } else {
                match self.rng.random_range(0..20) {
                    0..=14 => "PAID",
                    15..=17 => "CHECKED_IN",
                    _ => "BOOKED",
                }
            };
            let booked_at_local =
                day.and_time(start) - Duration::days(self.rng.random_range(1..60));
            let created_at = millis(
                Utc.from_utc_datetime(&booked_at_local)
                    .min(spec.now - Duration::hours(1)),
            );
            let booking_id = self.id();
            let mut staff_member = active_staff
                .get(self.rng.random_range(0..active_staff.len()))
                .copied();
            let source = self
                .pick(&["PHOREST", "PHOREST", "WIDGET", "API"])
                .to_owned();
            for _ in 0..segments {
                let Some(service) = bookable.get(self.rng.random_range(0..bookable.len())) else {
                    break;
                };
                if self.chance(0.3) {
                    staff_member = active_staff
                        .get(self.rng.random_range(0..active_staff.len()))
                        .copied();
                }
                let minutes = service.duration.clamp(15, 240);
                let end = start + Duration::minutes(minutes);
                // Never wrap past midnight.
                let end = if end < start {
                    NaiveTime::from_hms_opt(23, 59, 0).unwrap_or(start)
                } else {
                    end
                };
                let activation_state = if cancelled {
                    "CANCELED"
                } else if self.chance(mix.archived) {
                    "ARCHIVED"
                } else if !past && self.chance(0.05) {
                    "RESERVED"
                } else {
                    "ACTIVE"
                };
                let deleted = self.chance(mix.deleted);
                let changed = cancelled || deleted || past;
                let updated_at = if changed {
                    self.instant_between(created_at, spec.now)
                } else {
                    created_at
                };
                rows.push(Appointment {
                    appointment_id: self.id(),
                    version: if changed { 3 } else { 1 },
                    branch_id: staff_member
                        .map(|s| s.branch_id.clone())
                        .unwrap_or_default(),
                    booking_id: booking_id.clone(),
                    client_id: client_id.clone(),
                    staff_id: staff_member.map(|s| s.staff_id.clone()).unwrap_or_default(),
                    service_id: service.service_id.clone(),
                    service_name: service.name.clone(),
                    appointment_date: day,
                    start_time: start,
                    end_time: end,
                    price: service.price,
                    deposit_amount: None,
                    confirmed: self.chance(0.7),
                    staff_request: self.chance(0.2),
                    preferred_staff: false,
                    state: if cancelled { "BOOKED" } else { state }.to_owned(),
                    activation_state: activation_state.to_owned(),
                    deleted,
                    source: source.clone(),
                    notes: None,
                    created_at,
                    updated_at,
                });
                start = end;
            }
        }
        rows.sort_by_key(|a| a.created_at);
        rows
    }

    fn sales(
        &mut self,
        staff: &[Staff],
        clients: &[Client],
        walk_in: &str,
        products: &[Product],
        services: &[Service],
    ) -> Vec<SaleLine> {
        let spec = self.spec;
        let last_day = spec.now.with_timezone(&spec.time_zone).date_naive();
        let span = (last_day - spec.appointments_from).num_days().max(1);
        let mut lines = Vec::new();
        for t in 0..spec.sales_transactions {
            let client_id = if clients.len() < 2 || self.chance(0.15) {
                walk_in.to_owned()
            } else {
                clients
                    .get(self.rng.random_range(1..clients.len()))
                    .map(|c| c.client_id.clone())
                    .unwrap_or_else(|| walk_in.to_owned())
            };
            let staff_member = staff.get(self.rng.random_range(0..staff.len().max(1)));
            let branch_id = staff_member
                .map(|s| s.branch_id.clone())
                .unwrap_or_default();
            let day = spec.appointments_from + Duration::days(self.rng.random_range(0..span));
            let time = NaiveTime::from_hms_opt(
                self.rng.random_range(9..19),
                self.rng.random_range(0..60),
                0,
            )
            .unwrap_or_default();
            let payment = self.pick(&["CARD", "CARD", "CASH", "VOUCHER"]).to_owned();
            let transaction_id = format!("{}", 500_000 + t);
            for item in 0..self.rng.random_range(1..=3) {
                let product = (!products.is_empty() && self.chance(0.6))
                    .then(|| products.get(self.rng.random_range(0..products.len())))
                    .flatten();
                let service = services.get(self.rng.random_range(0..services.len().max(1)));
                let (item_type, product_id, service_id, description, unit_price) =
                    match (product, service) {
                        (Some(p), _) => (
                            "PRODUCT",
                            Some(p.product_id.clone()),
                            None,
                            p.name.clone(),
                            p.price,
                        ),
                        (None, Some(s)) => (
                            "SERVICE",
                            None,
                            Some(s.service_id.clone()),
                            s.name.clone(),
                            s.price,
                        ),
                        (None, None) => continue,
                    };
                let quantity = if item_type == "PRODUCT" {
                    f64::from(self.rng.random_range(1..=2u32))
                } else {
                    1.0
                };
                let total = (unit_price * quantity * 100.0).round() / 100.0;
                lines.push(SaleLine {
                    transaction_id: transaction_id.clone(),
                    transaction_item_id: format!("{transaction_id}-{}", item + 1),
                    branch_id: branch_id.clone(),
                    client_id: client_id.clone(),
                    purchased_date: day,
                    purchase_time: time,
                    item_type: item_type.to_owned(),
                    product_id,
                    service_id,
                    description,
                    quantity,
                    unit_price,
                    total_amount: total,
                    loyalty_points_awarded: total.floor(),
                    staff_id: staff_member.map(|s| s.staff_id.clone()),
                    payment_type: payment.clone(),
                });
            }
        }
        lines
    }

    fn reviews(&mut self, staff: &[Staff], clients: &[Client], walk_in: &str) -> Vec<Review> {
        let named: Vec<&Client> = clients.iter().filter(|c| c.client_id != walk_in).collect();
        if named.is_empty() || staff.is_empty() {
            return Vec::new();
        }
        (0..self.spec.reviews)
            .filter_map(|_| {
                let c = named.get(self.rng.random_range(0..named.len()))?;
                let s = staff.get(self.rng.random_range(0..staff.len()))?;
                let visit = self.spec.appointments_from
                    + Duration::days(
                        self.rng
                            .random_range(0..i64::from(self.spec.appointment_days.max(1))),
                    );
                Some(Review {
                    review_id: self.id(),
                    branch_id: s.branch_id.clone(),
                    client_id: c.client_id.clone(),
                    client_first_name: c.first_name.clone(),
                    client_last_name: c.last_name.clone(),
                    review_date: visit + Duration::days(1),
                    visit_date: visit,
                    staff_id: s.staff_id.clone(),
                    staff_first_name: s.first_name.clone(),
                    staff_last_name: s.last_name.clone(),
                    text: self
                        .pick(&[
                            "Fabulous as always!",
                            "Lovely colour, thanks 😊",
                            "",
                            "Grand job.",
                        ])
                        .to_owned(),
                    rating: self.rng.random_range(3..=5),
                    facebook_review: self.chance(0.2),
                    twitter_review: false,
                })
            })
            .collect()
    }

    fn vouchers(&mut self, clients: &[Client], branch_id: &str) -> Vec<Voucher> {
        let spec = self.spec;
        (0..spec.vouchers)
            .map(|i| {
                let issue = self.instant_between(spec.now - Duration::days(400), spec.now);
                let original = f64::from(self.rng.random_range(1..11u32)) * 25.0;
                Voucher {
                    voucher_id: self.id(),
                    serial_number: format!("V{:06}", 100_000 + i),
                    issue_date: issue,
                    expiry_date: Some(issue + Duration::days(365)),
                    client_id: clients
                        .get(self.rng.random_range(0..clients.len().max(1)))
                        .filter(|_| self.chance(0.7))
                        .map(|c| c.client_id.clone()),
                    creating_branch_id: branch_id.to_owned(),
                    original_balance: original,
                    remaining_balance: if self.chance(0.5) { original } else { 0.0 },
                    notes: None,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dst_edges_are_found_in_dublin() {
        let spec = SalonSpec::small(1);
        let edges = Generator::new(&spec).dst_edges();
        assert_eq!(
            edges,
            vec![
                (
                    date(2025, 10, 26),
                    NaiveTime::from_hms_opt(1, 30, 0).unwrap()
                ),
                (
                    date(2026, 3, 29),
                    NaiveTime::from_hms_opt(1, 30, 0).unwrap()
                ),
            ]
        );
    }
}
