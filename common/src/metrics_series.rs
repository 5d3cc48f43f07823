//! Metrics over time: a range `[from, to)` cut into calendar days, weeks (from
//! Monday) or months, in UTC. Each service counts what happened in each bucket
//! with the same cut, so the edge can put their series side by side.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IdenStatic, QueryFilter, QuerySelect, Select};

use crate::error::ApiError;

/// The width of one bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interval {
    Day,
    Week,
    Month,
}

/// The most buckets one question may ask for: a year and a day of days.
pub const MAX_BUCKETS: usize = 367;

/// Why a range cannot be cut.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum BucketError {
    #[error("a series needs a start (`from`) before its end")]
    EmptyRange,
    #[error("at most {MAX_BUCKETS} buckets: shorten the range or widen the interval")]
    TooMany,
}

/// A range a caller asked to cut is their input: the error names `interval`.
impl From<BucketError> for ApiError {
    fn from(error: BucketError) -> Self {
        ApiError::invalid("interval", error.to_string())
    }
}

/// The calendar periods that meet `[from, to)`, each clipped to it: the first and
/// the last may be partial.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Buckets {
    /// Each bucket's start, ascending; the first is `from`.
    starts: Vec<i64>,
    /// The end of the last bucket: `to`.
    end: i64,
}

impl Buckets {
    /// Cuts `[from, to)` (unix seconds) by `interval`.
    pub fn new(from: i64, to: i64, interval: Interval) -> Result<Self, BucketError> {
        if from >= to {
            return Err(BucketError::EmptyRange);
        }
        let mut starts = vec![from];
        let mut next = period_start(from, interval).and_then(|start| advance(start, interval));
        while let Some(start) = next.filter(|start| *start < to) {
            if starts.len() == MAX_BUCKETS {
                return Err(BucketError::TooMany);
            }
            starts.push(start);
            next = advance(start, interval);
        }
        Ok(Self { starts, end: to })
    }

    /// The buckets of a series, or none when no interval was asked for.
    pub fn series(from: i64, to: i64, interval: Option<Interval>) -> Result<Option<Self>, BucketError> {
        interval.map(|interval| Self::new(from, to, interval)).transpose()
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    pub fn from(&self) -> i64 {
        self.starts[0]
    }

    pub fn to(&self) -> i64 {
        self.end
    }

    /// Each bucket as `[from, to)`, oldest first.
    pub fn ranges(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        let ends = self.starts.iter().skip(1).copied().chain(std::iter::once(self.end));
        self.starts.iter().copied().zip(ends)
    }

    /// The bucket holding `time`, if any.
    pub fn index_of(&self, time: i64) -> Option<usize> {
        if time < self.from() || time >= self.end {
            return None;
        }
        Some(self.starts.partition_point(|start| *start <= time) - 1)
    }

    /// Items grouped by the bucket their time falls in; those outside the range are left out.
    pub fn group<T>(&self, items: impl IntoIterator<Item = T>, time: impl Fn(&T) -> i64) -> Vec<Vec<T>> {
        let mut groups: Vec<Vec<T>> = (0..self.len()).map(|_| Vec::new()).collect();
        for item in items {
            if let Some(index) = self.index_of(time(&item)) {
                groups[index].push(item);
            }
        }
        groups
    }

    /// A SQL expression giving the bucket index of an integer `column` (unix
    /// seconds), NULL outside the range; for `GROUP BY` on PostgreSQL and SQLite
    /// alike. Only integers computed here go into it, never caller text.
    pub fn index_sql(&self, column: &str) -> String {
        let mut sql = format!("CASE WHEN {column} < {} THEN NULL", self.from());
        for (index, (_, end)) in self.ranges().enumerate() {
            sql.push_str(&format!(" WHEN {column} < {end} THEN {index}"));
        }
        sql.push_str(" END");
        sql
    }

    /// Counts per bucket from `(index, count)` rows as `GROUP BY` on
    /// [`Buckets::index_sql`] returns them: buckets without rows count zero.
    pub fn counts_from_rows(&self, rows: impl IntoIterator<Item = (Option<i64>, i64)>) -> Vec<u64> {
        let mut counts = vec![0; self.len()];
        for (index, count) in rows {
            if let Some(slot) = index.and_then(|index| usize::try_from(index).ok()).and_then(|i| counts.get_mut(i)) {
                *slot += u64::try_from(count).unwrap_or(0);
            }
        }
        counts
    }
}

/// A service's metrics per bucket, in the buckets' order.
#[derive(Clone, Debug, PartialEq)]
pub struct Series<T> {
    pub buckets: Buckets,
    pub values: Vec<Vec<T>>,
}

impl<T> Series<T> {
    /// Every bucket without metrics yet.
    pub fn empty(buckets: Buckets) -> Self {
        let values = (0..buckets.len()).map(|_| Vec::new()).collect();
        Self { buckets, values }
    }

    /// Adds one metric to each bucket from its count (as [`count_per_bucket`] gives them).
    pub fn push_counts(&mut self, counts: Vec<u64>, metric: impl Fn(u64) -> T) {
        for (bucket, count) in self.values.iter_mut().zip(counts) {
            bucket.push(metric(count));
        }
    }

    /// Each bucket's metrics, converted for the wire.
    pub fn map<U>(self, mut convert: impl FnMut(T) -> U) -> Series<U> {
        let values = self.values.into_iter().map(|bucket| bucket.into_iter().map(&mut convert).collect()).collect();
        Series { buckets: self.buckets, values }
    }
}

/// The rows of `select` per bucket of `time_column` (integer unix seconds), in one
/// `GROUP BY`: the database's work does not grow with the number of buckets.
pub async fn count_per_bucket<E, C>(
    select: Select<E>,
    time_column: E::Column,
    buckets: &Buckets,
    connection: &C,
) -> Result<Vec<u64>, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    // CAST: PostgreSQL types the CASE's literals as int4, and the row decodes i64.
    let index = format!("CAST({} AS BIGINT)", buckets.index_sql(time_column.as_str()));
    let rows: Vec<(Option<i64>, i64)> = select
        .filter(time_column.gte(buckets.from()))
        .filter(time_column.lt(buckets.to()))
        .select_only()
        .column_as(Expr::cust(index), "bucket")
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(Expr::cust("bucket"))
        .into_tuple()
        .all(connection)
        .await?;
    Ok(buckets.counts_from_rows(rows))
}

fn at(unix: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(unix, 0).single()
}

/// The start of the calendar period holding `unix`.
fn period_start(unix: i64, interval: Interval) -> Option<i64> {
    let day = at(unix)?.date_naive();
    let first = match interval {
        Interval::Day => day,
        Interval::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
        Interval::Month => day.with_day(1)?,
    };
    Some(first.and_hms_opt(0, 0, 0)?.and_utc().timestamp())
}

/// The start of the period after the one starting at `start`.
fn advance(start: i64, interval: Interval) -> Option<i64> {
    let moment = at(start)?;
    let next = match interval {
        Interval::Day => moment + Duration::days(1),
        Interval::Week => moment + Duration::weeks(1),
        Interval::Month => moment.checked_add_months(chrono::Months::new(1))?,
    };
    Some(next.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(year: i32, month: u32, day: u32, hour: u32) -> i64 {
        Utc.with_ymd_and_hms(year, month, day, hour, 0, 0).unwrap().timestamp()
    }

    #[test]
    fn months_are_calendar_months_clipped_to_the_range() {
        let buckets = Buckets::new(unix(2025, 11, 15, 0), unix(2026, 2, 3, 12), Interval::Month).unwrap();
        let ranges: Vec<_> = buckets.ranges().collect();
        assert_eq!(
            ranges,
            vec![
                (unix(2025, 11, 15, 0), unix(2025, 12, 1, 0)),
                (unix(2025, 12, 1, 0), unix(2026, 1, 1, 0)),
                (unix(2026, 1, 1, 0), unix(2026, 2, 1, 0)),
                (unix(2026, 2, 1, 0), unix(2026, 2, 3, 12)),
            ]
        );
    }

    #[test]
    fn weeks_start_on_monday_and_days_at_midnight() {
        // 2026-12-02 is a Wednesday.
        let weeks = Buckets::new(unix(2026, 12, 2, 9), unix(2026, 12, 15, 0), Interval::Week).unwrap();
        let starts: Vec<_> = weeks.ranges().map(|(from, _)| from).collect();
        assert_eq!(starts, vec![unix(2026, 12, 2, 9), unix(2026, 12, 7, 0), unix(2026, 12, 14, 0)]);
        let days = Buckets::new(unix(2026, 12, 2, 9), unix(2026, 12, 4, 0), Interval::Day).unwrap();
        assert_eq!(days.len(), 2);
    }

    #[test]
    fn each_time_falls_in_one_bucket_and_the_sql_agrees() {
        let buckets = Buckets::new(unix(2026, 1, 10, 0), unix(2026, 3, 5, 0), Interval::Month).unwrap();
        assert_eq!(buckets.index_of(unix(2026, 1, 9, 23)), None, "before the range");
        assert_eq!(buckets.index_of(unix(2026, 1, 10, 0)), Some(0));
        assert_eq!(buckets.index_of(unix(2026, 2, 1, 0)), Some(1), "a bucket's start is its own");
        assert_eq!(buckets.index_of(unix(2026, 3, 4, 23)), Some(2));
        assert_eq!(buckets.index_of(unix(2026, 3, 5, 0)), None, "the end is outside");
        let sql = buckets.index_sql("created_at");
        assert_eq!(
            sql,
            format!(
                "CASE WHEN created_at < {} THEN NULL WHEN created_at < {} THEN 0 WHEN created_at < {} THEN 1 \
                 WHEN created_at < {} THEN 2 END",
                unix(2026, 1, 10, 0),
                unix(2026, 2, 1, 0),
                unix(2026, 3, 1, 0),
                unix(2026, 3, 5, 0)
            )
        );
        assert_eq!(buckets.counts_from_rows([(None, 4), (Some(2), 3), (Some(0), 1)]), vec![1, 0, 3]);
        let times = [unix(2026, 1, 9, 0), unix(2026, 1, 20, 0), unix(2026, 3, 1, 0), unix(2026, 1, 11, 0)];
        let grouped = buckets.group(times, |time| *time);
        assert_eq!(grouped, vec![vec![times[1], times[3]], vec![], vec![times[2]]], "the one before the range is out");
    }

    #[test]
    fn empty_and_oversized_ranges_are_refused() {
        assert_eq!(Buckets::new(10, 10, Interval::Day), Err(BucketError::EmptyRange));
        assert_eq!(Buckets::new(0, unix(2026, 1, 1, 0), Interval::Day), Err(BucketError::TooMany));
        let year_of_days = Buckets::new(unix(2025, 1, 1, 0), unix(2026, 1, 1, 0), Interval::Day).unwrap();
        assert_eq!(year_of_days.len(), 365);
    }
}
