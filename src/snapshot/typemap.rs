//! The one table that decides how a MySQL column becomes an Arrow field and a DuckDB column.
//!
//! Values arrive over MySQL's text protocol (bytes as the server prints them), so every
//! conversion below is a parse from text. That is what lets zero dates (`0000-00-00 00:00:00`,
//! legal under osTicket's `SQL_MODE=''`) be seen and counted instead of failing a decoder.
use arrow::datatypes::{DataType, TimeUnit};

/// How the text of one MySQL value is turned into an Arrow value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F32,
    F64,
    Decimal(u8, i8),
    /// Character data, decoded from the utf8mb4 connection; checked for double encoding.
    Text,
    /// Bytes kept as they are (blobs, binary strings, `file_chunk.filedata`).
    Bytes,
    Date,
    /// `DATETIME`: stored in the DB server's zone (osTicket's `db_timezone`), converted to UTC.
    LocalDateTime,
    /// `TIMESTAMP`: MySQL stores UTC and prints in the session zone, which we pin to `+00:00`.
    UtcTimestamp,
    Time,
}

/// One row of the type map.
pub struct Rule {
    /// `information_schema.COLUMNS.DATA_TYPE`
    pub mysql: &'static str,
    /// Whether the rule is for the `unsigned` variant.
    pub unsigned: bool,
    pub kind: Kind,
    pub why: &'static str,
}

const fn rule(mysql: &'static str, unsigned: bool, kind: Kind, why: &'static str) -> Rule {
    Rule {
        mysql,
        unsigned,
        kind,
        why,
    }
}

/// MySQL → Arrow → DuckDB. Unsigned types map to DuckDB's unsigned types, so
/// `int(11) unsigned` ids up to 4294967295 survive.
pub const TYPE_MAP: &[Rule] = &[
    rule(
        "tinyint",
        false,
        Kind::I8,
        "tinyint(1) stays an integer: osTicket keeps 1..4 in ticket_priority.priority_urgency tinyint(1)",
    ),
    rule("tinyint", true, Kind::U8, "UTINYINT"),
    rule("smallint", false, Kind::I16, "SMALLINT"),
    rule("smallint", true, Kind::U16, "USMALLINT"),
    rule("mediumint", false, Kind::I32, "INTEGER"),
    rule("mediumint", true, Kind::U32, "UINTEGER"),
    rule("int", false, Kind::I32, "INTEGER"),
    rule(
        "int",
        true,
        Kind::U32,
        "UINTEGER: osTicket ids are int(11) unsigned",
    ),
    rule("integer", false, Kind::I32, "INTEGER"),
    rule("integer", true, Kind::U32, "UINTEGER"),
    rule("bigint", false, Kind::I64, "BIGINT"),
    rule(
        "bigint",
        true,
        Kind::U64,
        "UBIGINT: file.size is bigint(20) unsigned",
    ),
    rule("year", false, Kind::I16, "SMALLINT"),
    rule("float", false, Kind::F32, "FLOAT"),
    rule("float", true, Kind::F32, "FLOAT"),
    rule("double", false, Kind::F64, "DOUBLE"),
    rule("double", true, Kind::F64, "DOUBLE"),
    rule("char", false, Kind::Text, "VARCHAR"),
    rule("varchar", false, Kind::Text, "VARCHAR"),
    rule("tinytext", false, Kind::Text, "VARCHAR"),
    rule(
        "text",
        false,
        Kind::Text,
        "VARCHAR: thread_entry.body may be widened to MEDIUMTEXT/LONGTEXT",
    ),
    rule("mediumtext", false, Kind::Text, "VARCHAR"),
    rule("longtext", false, Kind::Text, "VARCHAR"),
    rule(
        "enum",
        false,
        Kind::Text,
        "VARCHAR holding the label, as osTicket reads it",
    ),
    rule("set", false, Kind::Text, "VARCHAR, comma-separated labels"),
    rule(
        "json",
        false,
        Kind::Text,
        "VARCHAR (MariaDB JSON is LONGTEXT)",
    ),
    rule("binary", false, Kind::Bytes, "BLOB"),
    rule("varbinary", false, Kind::Bytes, "BLOB"),
    rule("tinyblob", false, Kind::Bytes, "BLOB"),
    rule("blob", false, Kind::Bytes, "BLOB"),
    rule("mediumblob", false, Kind::Bytes, "BLOB"),
    rule(
        "longblob",
        false,
        Kind::Bytes,
        "BLOB: file_chunk.filedata stays bytes",
    ),
    rule(
        "bit",
        false,
        Kind::Bytes,
        "BLOB, big-endian bytes as MySQL sends them",
    ),
    rule(
        "date",
        false,
        Kind::Date,
        "DATE; zero dates become NULL and are counted",
    ),
    rule(
        "datetime",
        false,
        Kind::LocalDateTime,
        "TIMESTAMP in UTC, converted from db_timezone; zero dates → NULL",
    ),
    rule(
        "timestamp",
        false,
        Kind::UtcTimestamp,
        "TIMESTAMP in UTC (session time_zone pinned to +00:00); zero → NULL",
    ),
    rule(
        "time",
        false,
        Kind::Time,
        "TIME; values outside 00:00..24:00 are listed and become NULL",
    ),
];

/// Find the rule for a column; unknown types (spatial, vendor extensions) are kept as bytes.
pub fn kind_for(data_type: &str, column_type: &str, character_set: Option<&str>) -> Kind {
    let data_type = data_type.to_ascii_lowercase();
    let unsigned = column_type.to_ascii_lowercase().contains("unsigned");
    if data_type == "decimal" || data_type == "numeric" {
        let (p, s) = decimal_precision(column_type);
        return Kind::Decimal(p, s);
    }
    // `char(16) CHARACTER SET binary` is how some dumps spell binary strings.
    if matches!(
        data_type.as_str(),
        "char" | "varchar" | "text" | "tinytext" | "mediumtext" | "longtext"
    ) && character_set == Some("binary")
    {
        return Kind::Bytes;
    }
    TYPE_MAP
        .iter()
        .find(|r| r.mysql == data_type && r.unsigned == unsigned)
        .or_else(|| TYPE_MAP.iter().find(|r| r.mysql == data_type))
        .map(|r| r.kind)
        .unwrap_or(Kind::Bytes)
}

fn decimal_precision(column_type: &str) -> (u8, i8) {
    let inner = column_type
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(inner, _)| inner);
    let mut parts = inner.unwrap_or("10,0").split(',');
    let p: u8 = parts
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(10);
    let s: i8 = parts
        .next()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    (p.clamp(1, 38), s)
}

impl Kind {
    pub fn arrow(self) -> DataType {
        match self {
            Kind::I8 => DataType::Int8,
            Kind::I16 => DataType::Int16,
            Kind::I32 => DataType::Int32,
            Kind::I64 => DataType::Int64,
            Kind::U8 => DataType::UInt8,
            Kind::U16 => DataType::UInt16,
            Kind::U32 => DataType::UInt32,
            Kind::U64 => DataType::UInt64,
            Kind::F32 => DataType::Float32,
            Kind::F64 => DataType::Float64,
            Kind::Decimal(p, s) => DataType::Decimal128(p, s),
            Kind::Text => DataType::Utf8,
            Kind::Bytes => DataType::Binary,
            Kind::Date => DataType::Date32,
            Kind::LocalDateTime | Kind::UtcTimestamp => {
                DataType::Timestamp(TimeUnit::Microsecond, None)
            }
            Kind::Time => DataType::Time64(TimeUnit::Microsecond),
        }
    }

    /// The DuckDB column type the appender writes this Arrow type into.
    pub fn duckdb(self) -> String {
        match self {
            Kind::I8 => "TINYINT".into(),
            Kind::I16 => "SMALLINT".into(),
            Kind::I32 => "INTEGER".into(),
            Kind::I64 => "BIGINT".into(),
            Kind::U8 => "UTINYINT".into(),
            Kind::U16 => "USMALLINT".into(),
            Kind::U32 => "UINTEGER".into(),
            Kind::U64 => "UBIGINT".into(),
            Kind::F32 => "FLOAT".into(),
            Kind::F64 => "DOUBLE".into(),
            Kind::Decimal(p, s) => format!("DECIMAL({p},{s})"),
            Kind::Text => "VARCHAR".into(),
            Kind::Bytes => "BLOB".into(),
            Kind::Date => "DATE".into(),
            Kind::LocalDateTime | Kind::UtcTimestamp => "TIMESTAMP".into(),
            Kind::Time => "TIME".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osticket_columns_map_as_documented() {
        assert_eq!(kind_for("int", "int(11) unsigned", None), Kind::U32);
        assert_eq!(kind_for("tinyint", "tinyint(1) unsigned", None), Kind::U8);
        assert_eq!(kind_for("tinyint", "tinyint(1)", None), Kind::I8);
        assert_eq!(kind_for("bigint", "bigint(20) unsigned", None), Kind::U64);
        assert_eq!(kind_for("longblob", "longblob", None), Kind::Bytes);
        assert_eq!(
            kind_for("enum", "enum('Web','Email')", Some("utf8mb3")),
            Kind::Text
        );
        assert_eq!(kind_for("datetime", "datetime", None), Kind::LocalDateTime);
        assert_eq!(kind_for("timestamp", "timestamp", None), Kind::UtcTimestamp);
        assert_eq!(
            kind_for("decimal", "decimal(12,3) unsigned", None),
            Kind::Decimal(12, 3)
        );
        assert_eq!(
            kind_for("varchar", "varchar(86)", Some("binary")),
            Kind::Bytes
        );
        assert_eq!(kind_for("geometry", "geometry", None), Kind::Bytes);
    }
}
