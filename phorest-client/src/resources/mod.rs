//! One module per Phorest resource: models, query structs and the handler.

pub mod appointments;
pub mod bookings;
pub mod branches;
pub mod client_categories;
pub mod client_csv;
pub mod clients;
pub mod courses;
pub mod csv_export;
pub mod products;
pub mod reviews;
pub mod sales;
pub mod schedule;
pub mod services;
pub mod staff;
pub mod vouchers;
