package store

import (
	"fmt"
	"strings"

	"gorm.io/gorm"

	"shop/models"
)

// rows collects new rows of several tables, to insert them with as few
// round trips as the database allows (insert).
type rows struct {
	tables []*tableRows
}

type tableRows struct {
	name, columns string
	width         int
	values        [][]any
}

func (w *rows) add(table, columns string, values ...any) {
	for _, t := range w.tables {
		if t.name == table {
			t.values = append(t.values, values)
			return
		}
	}
	w.tables = append(w.tables, &tableRows{name: table, columns: columns, width: len(values), values: [][]any{values}})
}

// movements adds ledger rows.
func (w *rows) movements(moves []models.StockMovement) {
	for _, m := range moves {
		w.add("stock_movements", "product_id, delta, kind, reason, order_id, actor, at, stock_after",
			m.ProductID, m.Delta, m.Kind, m.Reason, m.OrderID, m.Actor, m.At, m.StockAfter)
	}
}

// maxStatementParams keeps a statement under SQLite's limit of 32,766 bound
// parameters (PostgreSQL's is 65,535).
const maxStatementParams = 30_000

// insert writes w's rows. On PostgreSQL every table's INSERT goes in one
// statement, as data-modifying WITH clauses (one round trip; foreign keys
// are checked at its end). SQLite, in process, takes one INSERT per table.
// Either way a statement stays under maxStatementParams.
func (s *Store) insert(tx *gorm.DB, w rows) error {
	type part struct {
		sql  string
		args []any
	}
	var parts []part
	for _, t := range w.tables {
		per := max(1, maxStatementParams/t.width)
		for start := 0; start < len(t.values); start += per {
			chunk := t.values[start:min(start+per, len(t.values))]
			var b strings.Builder
			fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", t.name, t.columns)
			args := make([]any, 0, len(chunk)*t.width)
			row := "(" + strings.TrimSuffix(strings.Repeat("?, ", t.width), ", ") + ")"
			for i, v := range chunk {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(row)
				args = append(args, v...)
			}
			parts = append(parts, part{b.String(), args})
		}
	}
	run := func(sql string, args []any) error { return tx.Exec(sql, args...).Error }
	if s.kind != "PostgreSQL" {
		for _, p := range parts {
			if err := run(p.sql, p.args); err != nil {
				return err
			}
		}
		return nil
	}
	// PostgreSQL: as many parts per statement as the limit allows.
	for len(parts) > 0 {
		n, params := 0, 0
		for n < len(parts) && (n == 0 || params+len(parts[n].args) <= maxStatementParams) {
			params += len(parts[n].args)
			n++
		}
		var b strings.Builder
		var args []any
		for i, p := range parts[:n-1] {
			if i == 0 {
				b.WriteString("WITH ")
			} else {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "w%d AS (%s)", i, p.sql)
			args = append(args, p.args...)
		}
		if n > 1 {
			b.WriteString(" ")
		}
		b.WriteString(parts[n-1].sql)
		args = append(args, parts[n-1].args...)
		if err := run(b.String(), args); err != nil {
			return err
		}
		parts = parts[n:]
	}
	return nil
}
