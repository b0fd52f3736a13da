//! Text-protocol bytes → Arrow builders, one column at a time, following [`typemap`]. Problems
//! with single values never stop the copy: the value is repaired or nulled and an [`Issue`] row
//! records table, key, column and what happened.
//!
//! [`typemap`]: crate::snapshot::typemap
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryBuilder, Date32Builder, Decimal128Builder, Float32Builder, Float64Builder,
    Int8Builder, Int16Builder, Int32Builder, Int64Builder, StringBuilder, Time64MicrosecondBuilder,
    TimestampMicrosecondBuilder, UInt8Builder, UInt16Builder, UInt32Builder, UInt64Builder,
};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

use crate::snapshot::charset::repair_mojibake;
use crate::snapshot::source::Zone;
use crate::snapshot::typemap::Kind;

/// One value that could not be copied as it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    pub column: String,
    pub row_key: String,
    pub problem: &'static str,
    pub detail: String,
}

/// What converting one value did, besides producing it.
#[derive(Debug, PartialEq, Eq)]
pub enum Note {
    Clean,
    ZeroDate,
    Repaired(String),
    Problem(&'static str, String),
}

pub enum Builder {
    I8(Int8Builder),
    I16(Int16Builder),
    I32(Int32Builder),
    I64(Int64Builder),
    U8(UInt8Builder),
    U16(UInt16Builder),
    U32(UInt32Builder),
    U64(UInt64Builder),
    F32(Float32Builder),
    F64(Float64Builder),
    Dec(Decimal128Builder, i8),
    Text(StringBuilder),
    Bytes(BinaryBuilder),
    Date(Date32Builder),
    Ts(TimestampMicrosecondBuilder, bool),
    Time(Time64MicrosecondBuilder),
}

const EPOCH_DAYS_CE: i32 = 719_163; // NaiveDate(1970-01-01).num_days_from_ce()

macro_rules! parse_num {
    ($b:expr, $v:expr) => {
        match std::str::from_utf8($v)
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            Some(n) => {
                $b.append_value(n);
                Note::Clean
            }
            None => {
                $b.append_null();
                Note::Problem("unparseable", String::from_utf8_lossy($v).into_owned())
            }
        }
    };
}

impl Builder {
    pub fn new(kind: Kind) -> Self {
        match kind {
            Kind::I8 => Builder::I8(Int8Builder::new()),
            Kind::I16 => Builder::I16(Int16Builder::new()),
            Kind::I32 => Builder::I32(Int32Builder::new()),
            Kind::I64 => Builder::I64(Int64Builder::new()),
            Kind::U8 => Builder::U8(UInt8Builder::new()),
            Kind::U16 => Builder::U16(UInt16Builder::new()),
            Kind::U32 => Builder::U32(UInt32Builder::new()),
            Kind::U64 => Builder::U64(UInt64Builder::new()),
            Kind::F32 => Builder::F32(Float32Builder::new()),
            Kind::F64 => Builder::F64(Float64Builder::new()),
            Kind::Decimal(p, s) => Builder::Dec(
                Decimal128Builder::new()
                    .with_precision_and_scale(p, s)
                    .unwrap_or_default(),
                s,
            ),
            Kind::Text => Builder::Text(StringBuilder::new()),
            Kind::Bytes => Builder::Bytes(BinaryBuilder::new()),
            Kind::Date => Builder::Date(Date32Builder::new()),
            Kind::LocalDateTime => Builder::Ts(TimestampMicrosecondBuilder::new(), true),
            Kind::UtcTimestamp => Builder::Ts(TimestampMicrosecondBuilder::new(), false),
            Kind::Time => Builder::Time(Time64MicrosecondBuilder::new()),
        }
    }

    pub fn append_null(&mut self) {
        match self {
            Builder::I8(b) => b.append_null(),
            Builder::I16(b) => b.append_null(),
            Builder::I32(b) => b.append_null(),
            Builder::I64(b) => b.append_null(),
            Builder::U8(b) => b.append_null(),
            Builder::U16(b) => b.append_null(),
            Builder::U32(b) => b.append_null(),
            Builder::U64(b) => b.append_null(),
            Builder::F32(b) => b.append_null(),
            Builder::F64(b) => b.append_null(),
            Builder::Dec(b, _) => b.append_null(),
            Builder::Text(b) => b.append_null(),
            Builder::Bytes(b) => b.append_null(),
            Builder::Date(b) => b.append_null(),
            Builder::Ts(b, _) => b.append_null(),
            Builder::Time(b) => b.append_null(),
        }
    }

    /// Append the text-protocol bytes of one non-NULL value.
    pub fn append(&mut self, v: &[u8], zone: &Zone) -> Note {
        match self {
            Builder::I8(b) => parse_num!(b, v),
            Builder::I16(b) => parse_num!(b, v),
            Builder::I32(b) => parse_num!(b, v),
            Builder::I64(b) => parse_num!(b, v),
            Builder::U8(b) => parse_num!(b, v),
            Builder::U16(b) => parse_num!(b, v),
            Builder::U32(b) => parse_num!(b, v),
            Builder::U64(b) => parse_num!(b, v),
            Builder::F32(b) => parse_num!(b, v),
            Builder::F64(b) => parse_num!(b, v),
            Builder::Dec(b, scale) => match parse_decimal(v, *scale) {
                Some(n) => {
                    b.append_value(n);
                    Note::Clean
                }
                None => {
                    b.append_null();
                    Note::Problem("unparseable", String::from_utf8_lossy(v).into_owned())
                }
            },
            Builder::Text(b) => match std::str::from_utf8(v) {
                Ok(s) => match repair_mojibake(s) {
                    std::borrow::Cow::Borrowed(s) => {
                        b.append_value(s);
                        Note::Clean
                    }
                    std::borrow::Cow::Owned(fixed) => {
                        b.append_value(&fixed);
                        Note::Repaired(excerpt(s))
                    }
                },
                Err(e) => {
                    let lossy = String::from_utf8_lossy(v);
                    b.append_value(&lossy);
                    Note::Problem(
                        "invalid_utf8",
                        format!(
                            "byte {} is not UTF-8; kept with U+FFFD: {}",
                            e.valid_up_to(),
                            excerpt(&lossy)
                        ),
                    )
                }
            },
            Builder::Bytes(b) => {
                b.append_value(v);
                Note::Clean
            }
            Builder::Date(b) => match parse_date(v) {
                Ok(Some(d)) => {
                    b.append_value(d.num_days_from_ce_i32() - EPOCH_DAYS_CE);
                    Note::Clean
                }
                Ok(None) => {
                    b.append_null();
                    Note::ZeroDate
                }
                Err(()) => {
                    b.append_null();
                    Note::Problem("unparseable", String::from_utf8_lossy(v).into_owned())
                }
            },
            Builder::Ts(b, local) => match parse_datetime(v) {
                Ok(Some(naive)) => {
                    let utc = if *local { to_utc(naive, zone) } else { naive };
                    b.append_value(utc.and_utc().timestamp_micros());
                    Note::Clean
                }
                Ok(None) => {
                    b.append_null();
                    Note::ZeroDate
                }
                Err(()) => {
                    b.append_null();
                    Note::Problem("unparseable", String::from_utf8_lossy(v).into_owned())
                }
            },
            Builder::Time(b) => match std::str::from_utf8(v)
                .ok()
                .and_then(|s| NaiveTime::parse_from_str(s, "%H:%M:%S%.f").ok())
            {
                Some(t) => {
                    let micros = t
                        .signed_duration_since(NaiveTime::MIN)
                        .num_microseconds()
                        .unwrap_or(0);
                    b.append_value(micros);
                    Note::Clean
                }
                None => {
                    b.append_null();
                    Note::Problem(
                        "out_of_range",
                        format!("TIME {} is not a time of day", String::from_utf8_lossy(v)),
                    )
                }
            },
        }
    }

    pub fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::I8(b) => Arc::new(b.finish()),
            Builder::I16(b) => Arc::new(b.finish()),
            Builder::I32(b) => Arc::new(b.finish()),
            Builder::I64(b) => Arc::new(b.finish()),
            Builder::U8(b) => Arc::new(b.finish()),
            Builder::U16(b) => Arc::new(b.finish()),
            Builder::U32(b) => Arc::new(b.finish()),
            Builder::U64(b) => Arc::new(b.finish()),
            Builder::F32(b) => Arc::new(b.finish()),
            Builder::F64(b) => Arc::new(b.finish()),
            Builder::Dec(b, _) => Arc::new(b.finish()),
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::Bytes(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
            Builder::Ts(b, _) => Arc::new(b.finish()),
            Builder::Time(b) => Arc::new(b.finish()),
        }
    }
}

trait DaysFromCe {
    fn num_days_from_ce_i32(&self) -> i32;
}
impl DaysFromCe for NaiveDate {
    fn num_days_from_ce_i32(&self) -> i32 {
        chrono::Datelike::num_days_from_ce(self)
    }
}

fn excerpt(s: &str) -> String {
    let mut e: String = s.chars().take(80).collect();
    if s.chars().nth(80).is_some() {
        e.push('…');
    }
    e
}

/// Local wall-clock time in `zone` → UTC. In the autumn overlap the earlier instant is taken;
/// a time inside the spring gap (cannot have been written by NOW()) is read one hour later.
pub fn to_utc(naive: NaiveDateTime, zone: &Zone) -> NaiveDateTime {
    if zone.is_utc() {
        return naive;
    }
    match zone {
        Zone::Fixed(off) => naive - chrono::Duration::seconds(off.local_minus_utc() as i64),
        Zone::Named(tz) => match tz.from_local_datetime(&naive) {
            chrono::LocalResult::Single(t) => t.naive_utc(),
            chrono::LocalResult::Ambiguous(a, _) => a.naive_utc(),
            chrono::LocalResult::None => tz
                .from_local_datetime(&(naive + chrono::Duration::hours(1)))
                .earliest()
                .map(|t| t.naive_utc())
                .unwrap_or(naive),
        },
    }
}

fn digits(v: &[u8]) -> Option<u32> {
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0u32, |n, d| n * 10 + (d - b'0') as u32))
}

/// `YYYY-MM-DD`; `Ok(None)` for a zero date or a zero month/day.
pub(crate) fn parse_date(v: &[u8]) -> Result<Option<NaiveDate>, ()> {
    if v.len() < 10 || v[4] != b'-' || v[7] != b'-' {
        return Err(());
    }
    let (y, m, d) = (
        digits(&v[0..4]).ok_or(())?,
        digits(&v[5..7]).ok_or(())?,
        digits(&v[8..10]).ok_or(())?,
    );
    if y == 0 || m == 0 || d == 0 {
        return Ok(None);
    }
    NaiveDate::from_ymd_opt(y as i32, m, d).map(Some).ok_or(())
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff]`; `Ok(None)` for zero dates.
pub(crate) fn parse_datetime(v: &[u8]) -> Result<Option<NaiveDateTime>, ()> {
    let Some(date) = parse_date(v)? else {
        return Ok(None);
    };
    if v.len() == 10 {
        return Ok(Some(date.and_time(NaiveTime::MIN)));
    }
    if v.len() < 19 || v[10] != b' ' || v[13] != b':' || v[16] != b':' {
        return Err(());
    }
    let (h, mi, s) = (
        digits(&v[11..13]).ok_or(())?,
        digits(&v[14..16]).ok_or(())?,
        digits(&v[17..19]).ok_or(())?,
    );
    let micros = if v.len() > 20 && v[19] == b'.' {
        let frac = &v[20..v.len().min(26)];
        digits(frac).ok_or(())? * 10u32.pow(6 - frac.len() as u32)
    } else {
        0
    };
    let time = NaiveTime::from_hms_micro_opt(h, mi, s, micros).ok_or(())?;
    Ok(Some(date.and_time(time)))
}

fn parse_decimal(v: &[u8], scale: i8) -> Option<i128> {
    let s = std::str::from_utf8(v).ok()?.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let scale = scale.max(0) as usize;
    if frac.len() > scale {
        return None;
    }
    let mut digits_str = String::with_capacity(int.len() + scale);
    digits_str.push_str(int);
    digits_str.push_str(frac);
    digits_str.extend(std::iter::repeat_n('0', scale - frac.len()));
    let n: i128 = if digits_str.is_empty() {
        0
    } else {
        digits_str.parse().ok()?
    };
    Some(if neg { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_partial_zero_dates_are_null() {
        assert_eq!(parse_datetime(b"0000-00-00 00:00:00"), Ok(None));
        assert_eq!(parse_datetime(b"2024-00-10 00:00:00"), Ok(None));
        assert_eq!(parse_date(b"0000-00-00"), Ok(None));
        assert!(parse_datetime(b"garbage").is_err());
    }

    #[test]
    fn datetimes_parse_with_fractions() {
        let t = parse_datetime(b"2024-03-10 02:30:00.25").unwrap().unwrap();
        assert_eq!(t.to_string(), "2024-03-10 02:30:00.250");
    }

    #[test]
    fn local_times_convert_to_utc_across_dst() {
        let ny = Zone::Named(chrono_tz::America::New_York);
        let at = |s: &[u8]| to_utc(parse_datetime(s).unwrap().unwrap(), &ny).to_string();
        assert_eq!(at(b"2024-01-15 09:00:00"), "2024-01-15 14:00:00");
        assert_eq!(at(b"2024-07-15 09:00:00"), "2024-07-15 13:00:00");
        // Autumn overlap: the earlier (EDT) instant.
        assert_eq!(at(b"2024-11-03 01:30:00"), "2024-11-03 05:30:00");
        // Spring gap: read as 03:30 EDT.
        assert_eq!(at(b"2024-03-10 02:30:00"), "2024-03-10 07:30:00");
    }

    #[test]
    fn decimals_scale() {
        assert_eq!(parse_decimal(b"12.5", 2), Some(1250));
        assert_eq!(parse_decimal(b"-0.01", 2), Some(-1));
        assert_eq!(parse_decimal(b"1.234", 2), None);
    }

    #[test]
    fn invalid_utf8_is_kept_replaced_and_reported() {
        let zone = Zone::Named(chrono_tz::UTC);
        let mut b = Builder::new(Kind::Text);
        match b.append(b"caf\xe9 ok", &zone) {
            Note::Problem("invalid_utf8", detail) => assert!(detail.contains("byte 3"), "{detail}"),
            other => panic!("{other:?}"),
        }
        let a = b.finish();
        let a = a
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .unwrap();
        assert_eq!(a.value(0), "caf\u{fffd} ok");
    }

    #[test]
    fn zero_dates_are_counted_not_failed() {
        let zone = Zone::Named(chrono_tz::America::New_York);
        let mut b = Builder::new(Kind::LocalDateTime);
        assert_eq!(b.append(b"0000-00-00 00:00:00", &zone), Note::ZeroDate);
        assert!(b.finish().is_null(0));
    }

    #[test]
    fn unsigned_max_values_survive() {
        let zone = Zone::Named(chrono_tz::UTC);
        let mut b = Builder::new(Kind::U64);
        assert_eq!(b.append(b"18446744073709551615", &zone), Note::Clean);
        let a = b.finish();
        let a = a
            .as_any()
            .downcast_ref::<arrow::array::UInt64Array>()
            .unwrap();
        assert_eq!(a.value(0), u64::MAX);
    }
}
