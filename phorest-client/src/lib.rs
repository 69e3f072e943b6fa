#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod de;
mod error;
mod ids;
mod macros;
mod pacing;
mod page;
mod query;
mod resources;
mod retry;
mod time;
mod windows_zones;

#[cfg(feature = "mock")]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub mod mock;

pub use client::{EU_BASE_URL, PhorestClient, PhorestClientBuilder, Region, US_BASE_URL};
pub use de::DateOrInstant;
pub use error::{BODY_EXCERPT_LIMIT, BuildError, Error, Operation, Result, TransportError};
pub use ids::{
    AppointmentId, BookingId, BranchId, BreakId, BusinessId, CategoryId, ClientCourseId, ClientId,
    CourseId, JobId, MachineId, ProductId, ReviewId, RoomId, ServiceId, StaffId, TransactionId,
    UserId, VoucherId,
};
pub use pacing::{DEFAULT_REQUESTS_PER_SECOND, Pacing};
pub use page::{ItemStream, Page, PageStream, RejectedRecord, collect_items};
pub use resources::appointments::{
    ActivationState, Appointment, AppointmentQuery, AppointmentState, AppointmentUpdate,
    AppointmentsHandler, InternetServiceCategory, group_by_booking,
};
pub use resources::bookings::{
    AvailabilityQuery, AvailabilitySlot, Booking, BookingStatus, BookingsHandler, ClientServices,
    NewBooking, ScheduledService, ServiceBooking,
};
pub use resources::branches::{Branch, BranchesHandler};
pub use resources::client_categories::{
    ClientCategoriesHandler, ClientCategory, ClientCategoryQuery,
};
pub use resources::client_csv::{ClientCsvRow, parse_clients};
pub use resources::clients::{
    Address, CLIENT_BATCH_MAX, Client, ClientQuery, ClientServiceHistory, ClientUpdate,
    ClientsHandler, CreditAccount, Gender, LoyaltyCard, NewClient, ServiceHistoryEntry,
};
pub use resources::courses::{
    ClientCourse, ClientCourseItem, ClientCourseQuery, Course, CourseItem, CoursesHandler,
};
pub use resources::csv_export::{
    CsvExportJob, CsvExportRequest, CsvExportsHandler, CsvJobStatus, CsvJobType, CsvRowError,
    ItemType, PollPolicy, TRANSACTIONS_CSV, TransactionRow, parse_transactions,
};
pub use resources::products::{Product, ProductQuery, ProductsHandler};
pub use resources::reviews::{Review, ReviewQuery, ReviewsHandler};
pub use resources::sales::{
    DepositLink, DepositLinkRequest, LoyaltyOperation, LoyaltyPointsChange, NewPurchase,
    PaymentType, PurchaseItem, PurchasePayment, PurchaseReceipt, PurchasesHandler, StockAdjustment,
    StockOperation,
};
pub use resources::schedule::{
    Break, BreakQuery, BreaksHandler, TimeSlot, WorkTimetable, WorkTimetableQuery,
};
pub use resources::services::{
    Service, ServiceCategory, ServiceQuery, ServiceType, ServicesHandler, UserPrice,
};
pub use resources::staff::{Staff, StaffHandler, StaffQuery};
pub use resources::vouchers::{NewVoucher, Voucher, VoucherQuery, VouchersHandler};
pub use retry::RetryPolicy;
pub use time::{
    LocalTimeError, MonthWindow, TimeZoneError, local_to_utc, month_windows, parse_time_zone,
};

/// Re-exported so callers can name the zone type of [`Branch::time_zone`].
pub use chrono_tz::Tz;

impl PhorestClient {
    /// Branches of the business.
    pub fn branches(&self) -> BranchesHandler {
        BranchesHandler::new(self.clone())
    }
    /// Staff of one branch.
    pub fn staff(&self, branch: impl Into<BranchId>) -> StaffHandler {
        StaffHandler::new(self.clone(), branch.into())
    }
    /// Clients of the business.
    pub fn clients(&self) -> ClientsHandler {
        ClientsHandler::new(self.clone())
    }
    /// Courses of the branches and the courses clients bought.
    pub fn courses(&self) -> CoursesHandler {
        CoursesHandler::new(self.clone())
    }
    /// Client categories of the business.
    pub fn client_categories(&self) -> ClientCategoriesHandler {
        ClientCategoriesHandler::new(self.clone())
    }
    /// Appointments of one branch (month-split windows).
    pub fn appointments(&self, branch: impl Into<BranchId>) -> AppointmentsHandler {
        AppointmentsHandler::new(self.clone(), branch.into())
    }
    /// Bookings of one branch (create, activate, cancel).
    pub fn bookings(&self, branch: impl Into<BranchId>) -> BookingsHandler {
        BookingsHandler::new(self.clone(), branch.into())
    }
    /// Services and service categories of one branch.
    pub fn services(&self, branch: impl Into<BranchId>) -> ServicesHandler {
        ServicesHandler::new(self.clone(), branch.into())
    }
    /// Products of one branch.
    pub fn products(&self, branch: impl Into<BranchId>) -> ProductsHandler {
        ProductsHandler::new(self.clone(), branch.into())
    }
    /// CSV export jobs (sales transactions) of one branch.
    pub fn csv_exports(&self, branch: impl Into<BranchId>) -> CsvExportsHandler {
        CsvExportsHandler::new(self.clone(), branch.into())
    }
    /// Purchases (sales) of one branch: create only; sales are read through
    /// [`csv_exports`](Self::csv_exports).
    pub fn purchases(&self, branch: impl Into<BranchId>) -> PurchasesHandler {
        PurchasesHandler::new(self.clone(), branch.into())
    }
    /// Reviews of one branch.
    pub fn reviews(&self, branch: impl Into<BranchId>) -> ReviewsHandler {
        ReviewsHandler::new(self.clone(), branch.into())
    }
    /// Breaks (blocked diary time) of one branch.
    pub fn breaks(&self, branch: impl Into<BranchId>) -> BreaksHandler {
        BreaksHandler::new(self.clone(), branch.into())
    }
    /// Vouchers of the business.
    pub fn vouchers(&self) -> VouchersHandler {
        VouchersHandler::new(self.clone())
    }
}
