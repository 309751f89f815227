package store

import (
	"fmt"
	"strconv"
	"strings"

	"shop/models"
)

// stmt is one SQL statement with ? placeholders.
type stmt struct {
	sql  string
	args []any
}

// dollars rewrites ? placeholders as PostgreSQL's $1, $2…, for statements
// sent through pgx directly. The shop's statements hold no literal "?".
func (s stmt) dollars() string {
	var b strings.Builder
	n := 0
	for _, part := range strings.Split(s.sql, "?") {
		if n > 0 {
			b.WriteString("$" + strconv.Itoa(n))
		}
		b.WriteString(part)
		n++
	}
	return b.String()
}

// rows collects new rows of several tables, to insert them with as few
// statements as the database allows (inserts).
type rows struct {
	tables []*tableRows
	// pending are the events of these rows, which insert records with them
	// (every ledger movement is a stock.changed event).
	pending []models.Event
}

// record adds events to the rows' write.
func (w *rows) record(evs ...models.Event) { w.pending = append(w.pending, evs...) }

type tableRows struct {
	name, columns string
	// lead is SQL that starts every row, before its bound values (the
	// outbox's transaction id).
	lead   string
	width  int
	values [][]any
}

func (w *rows) add(table, columns string, values ...any) { w.addLead(table, columns, "", values...) }

// addLead adds a row whose first column is the SQL lead, the same in
// every row of the table.
func (w *rows) addLead(table, columns, lead string, values ...any) {
	for i, v := range values {
		if m, ok := v.(models.Money); ok {
			values[i] = int64(m) // as stored, whatever the driver makes of the type
		}
	}
	for _, t := range w.tables {
		if t.name == table {
			t.values = append(t.values, values)
			return
		}
	}
	w.tables = append(w.tables, &tableRows{name: table, columns: columns, lead: lead, width: len(values), values: [][]any{values}})
}

// movements adds ledger rows.
func (w *rows) movements(moves []models.StockMovement) {
	for _, m := range moves {
		w.add("stock_movements", "product_id, variant_id, delta, kind, reason, order_id, actor, at, stock_after",
			m.ProductID, m.VariantID, m.Delta, m.Kind, m.Reason, m.OrderID, m.Actor, m.At, m.StockAfter)
	}
	w.record(models.StockEvents(moves)...)
}

// maxStatementParams keeps a statement under SQLite's limit of 32,766 bound
// parameters (PostgreSQL's is 65,535).
const maxStatementParams = 30_000

// inserts are the statements that write w's rows. On PostgreSQL every
// table's INSERT goes in one statement, as data-modifying WITH clauses (one
// round trip; foreign keys are checked at its end). SQLite, in process,
// takes one INSERT per table. Either way a statement stays under
// maxStatementParams.
func (w rows) inserts(postgres bool) []stmt {
	var parts []stmt
	for _, t := range w.tables {
		per := max(1, maxStatementParams/t.width)
		row := "(" + strings.TrimSuffix(strings.Repeat("?, ", t.width), ", ") + ")"
		if t.lead != "" {
			row = "(" + t.lead + ", " + row[1:]
		}
		for start := 0; start < len(t.values); start += per {
			chunk := t.values[start:min(start+per, len(t.values))]
			var b strings.Builder
			fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", t.name, t.columns)
			args := make([]any, 0, len(chunk)*t.width)
			for i, v := range chunk {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(row)
				args = append(args, v...)
			}
			parts = append(parts, stmt{b.String(), args})
		}
	}
	if !postgres {
		return parts
	}
	var out []stmt
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
		out = append(out, stmt{b.String(), args})
		parts = parts[n:]
	}
	return out
}
