//! Opaque Phorest ids (~22-character URL-safe base64 strings) as `String` newtypes.

use crate::macros::string_id;

string_id! {
    /// A Phorest business (tenant) id.
    BusinessId,
    /// A branch (salon location) id.
    BranchId,
    /// A client id.
    ClientId,
    /// A staff id (per branch; the cross-branch person is [`UserId`]).
    StaffId,
    /// A business-level user id: the person behind staff records across branches.
    UserId,
    /// An appointment id (one service line of a booking).
    AppointmentId,
    /// A booking id: groups the appointments booked together.
    BookingId,
    /// A service id (the same in every branch of the business).
    ServiceId,
    /// A product id.
    ProductId,
    /// A category id (client category, service category or product category).
    CategoryId,
    /// A CSV export job id.
    JobId,
    /// A review id.
    ReviewId,
    /// A voucher id.
    VoucherId,
    /// A sales transaction id (unique per branch only).
    TransactionId,
    /// A break (blocked time in a staff member's diary) id.
    BreakId,
    /// A room id (appointments and breaks may hold one).
    RoomId,
    /// A machine id (appointments and breaks may hold one).
    MachineId,
    /// A course (a package of service units sold together) id.
    CourseId,
    /// A client's purchased course id.
    ClientCourseId,
}
