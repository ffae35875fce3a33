//! The international-days calendar: which observance falls on which date.
//!
//! Owns the built-in list of UN international days (`config/international-days.toml`, compiled in), the
//! rule language for fixed and movable days (`March 8`, `first Monday of October`, `last Thursday of
//! September`) and the resolution of a day to its date in a given year. The user's config can add days and
//! override any built-in day; that merging happens in [`Calendar::insert`].
//!
//! STUB: to be implemented (helper A).

use chrono::NaiveDate;
use std::collections::BTreeMap;

/// How an observance's date is found each year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayRule {
    /// The same month and day every year, e.g. `March 8`.
    Fixed { month: u32, day: u32 },
    /// A weekday counted within a month, e.g. `first Monday of October`, `last Thursday of September`.
    NthWeekday { nth: Nth, weekday: chrono::Weekday, month: u32 },
    /// Dates set year by year (e.g. a day tied to the lunar calendar): only listed years have a date.
    Dates(BTreeMap<i32, NaiveDate>),
}

/// Which occurrence of a weekday in a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nth {
    First,
    Second,
    Third,
    Fourth,
    Last,
}

/// One observance on the calendar.
#[derive(Debug, Clone)]
pub struct Observance {
    /// Stable kebab-case id, e.g. `international-womens-day`.
    pub id: String,
    /// Official English name, e.g. `International Women's Day`.
    pub name: String,
    pub rule: DayRule,
    pub since: Option<i32>,
}

/// The resolved calendar: built-in days plus the user's additions and overrides.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    days: Vec<Observance>,
}

// Temporary stubs until the real module lands.
impl Observance {
    pub fn date_in(&self, _year: i32) -> Option<NaiveDate> { None }
}
impl std::str::FromStr for DayRule {
    type Err = String;
    fn from_str(_s: &str) -> Result<Self, String> { Err("stub".into()) }
}
impl Calendar {
    pub fn builtin() -> Calendar { Calendar::default() }
    pub fn get(&self, id: &str) -> Option<&Observance> { self.days.iter().find(|d| d.id == id) }
    pub fn insert(&mut self, day: Observance) { self.days.push(day) }
    pub fn ids(&self) -> impl Iterator<Item = &str> + Clone { self.days.iter().map(|d| d.id.as_str()) }
    pub fn iter(&self) -> impl Iterator<Item = &Observance> { self.days.iter() }
    pub fn between(&self, _f: NaiveDate, _t: NaiveDate) -> Vec<(NaiveDate, &Observance)> { vec![] }
}
impl std::fmt::Display for DayRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{self:?}") }
}
