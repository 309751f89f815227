package store

import "gorm.io/gorm"

// LimitFewMatches sets how many variants a filter may match for its pages
// to be read from them (maxFewMatches): 0 has every page that matches
// anything walk the products, so tests see both ways give the same pages.
func (s *Store) LimitFewMatches(n int) { s.fewMatchLimit = n }

// MaxFewMatches is the limit stores start with.
const MaxFewMatches = maxFewMatches

// SetDiscountUsage sets a code's use count, as checkout's uses would.
func (s *Store) SetDiscountUsage(id string, n int) error {
	return s.db.Exec("UPDATE discount_codes SET usage_count = ? WHERE discount_code_id = ?", n, id).Error
}

// OnRawSQL calls f with each statement run through Exec or Raw.
func (s *Store) OnRawSQL(f func(sql string)) error {
	return s.db.Callback().Raw().After("gorm:raw").Register("test:on_raw_sql", func(db *gorm.DB) { f(db.Statement.SQL.String()) })
}
