//! Dates as the tables store them: days since 1970-01-01 (Parquet and Arrow `DATE`),
//! written `YYYY-MM-DD` in text (as Hive parses DATE values).

use medprep::Date;

/// A calendar date as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Days(pub i32);

impl From<Date> for Days {
    fn from(date: Date) -> Self {
        Self(days_since_epoch(date))
    }
}

/// Days since 1970-01-01 of a calendar date.
pub fn days_since_epoch(date: Date) -> i32 {
    // Howard Hinnant's days_from_civil, in a 400-year era starting on 1 March.
    let month = i64::from(date.month);
    let year = i64::from(date.year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year =
        (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(date.day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // A u16 year keeps the result far inside i32.
    (era * 146_097 + day_of_era - 719_468) as i32
}

/// The calendar date `YYYY-MM-DD` of a day count since 1970-01-01 (the inverse of
/// [`days_since_epoch`]).
pub fn iso_date(days: i32) -> String {
    // Howard Hinnant's civil_from_days.
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_days_from_1970() {
        let d = |year, month, day| days_since_epoch(Date { year, month, day });
        assert_eq!(d(1970, 1, 1), 0);
        assert_eq!(d(1969, 12, 31), -1);
        assert_eq!(d(2000, 3, 1), 11_017);
        // 2024-01-02, the fixtures' study date (Python: date(2024,1,2) - date(1970,1,1)).
        assert_eq!(d(2024, 1, 2), 19_724);
        assert_eq!(d(2024, 2, 29) - d(2024, 2, 28), 1);
        assert_eq!(d(1900, 3, 1) - d(1900, 2, 28), 1);
    }

    #[test]
    fn iso_dates_invert_day_counts() {
        assert_eq!(iso_date(0), "1970-01-01");
        assert_eq!(iso_date(-1), "1969-12-31");
        assert_eq!(iso_date(19_724), "2024-01-02");
        // Every day of four centuries, leap rules included, round-trips.
        let start = days_since_epoch(Date {
            year: 1800,
            month: 1,
            day: 1,
        });
        for days in start..start + 146_097 {
            let text = iso_date(days);
            let number = |r: std::ops::Range<usize>| text[r].parse::<u16>().expect("number");
            let date = Date {
                year: number(0..4),
                month: u8::try_from(number(5..7)).expect("month"),
                day: u8::try_from(number(8..10)).expect("day"),
            };
            assert_eq!(days_since_epoch(date), days, "{text}");
        }
    }
}
