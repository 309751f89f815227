package models

import (
	"math"
	"strconv"
	"testing"
)

func TestMoneyFromFloat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      float64
		want    Money
		wantErr bool
	}{
		{0, 0, false},
		{0.1, 10, false},
		{0.2, 20, false},
		{39.99, 3999, false},
		{10.10, 1010, false},
		{1.005, 0, true},
		{0.333, 0, true},
		{99999999.99, 9999999999, false},
		{1e15, 0, true},
		{math.NaN(), 0, true},
		{math.Inf(1), 0, true},
		{-2.5, -250, false},
		{1e-7, 0, true},
	}
	for _, tt := range tests {
		t.Run(strconv.FormatFloat(tt.in, 'g', -1, 64), func(t *testing.T) {
			t.Parallel()
			got, err := MoneyFromFloat(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("MoneyFromFloat(%v) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Fatalf("MoneyFromFloat(%v) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Money
		wantErr bool
	}{
		{"12", 1200, false},
		{"12.5", 1250, false},
		{"12.05", 1205, false},
		{"0.01", 1, false},
		{"12.", 0, true},
		{".5", 0, true},
		{"1e3", 0, true},
		{"12.345", 0, true},
		{"abc", 0, true},
		{"", 0, true},
		{"1234567890123456", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseMoney(tt.in)
		if (err != nil) != tt.wantErr || (err == nil && got != tt.want) {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// The totals the issue names, computed from API floats the way an order is.
func TestExactTotals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []struct {
			price float64
			qty   int
		}
		want float64
	}{
		{"3 x 0.10 + 0.20", []struct {
			price float64
			qty   int
		}{{0.10, 3}, {0.20, 1}}, 0.50},
		{"2 x 39.99 + 10.10", []struct {
			price float64
			qty   int
		}{{39.99, 2}, {10.10, 1}}, 90.08},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var lines []OrderLine
			var variants []ProductVariant
			for i, l := range tt.lines {
				id := "p" + strconv.Itoa(i)
				m, err := MoneyFromFloat(l.price)
				if err != nil {
					t.Fatal(err)
				}
				variants = append(variants, ProductVariant{ID: id, ProductID: id, Price: m})
				lines = append(lines, OrderLine{ProductID: id, Quantity: l.qty})
			}
			_, total, err := PriceOrder(lines, variants)
			if err != nil {
				t.Fatal(err)
			}
			if total.Float64() != tt.want {
				t.Fatalf("total = %v (%d cents), want exactly %v", total.Float64(), total, tt.want)
			}
		})
	}
}

func TestMoneyArithmeticOverflow(t *testing.T) {
	t.Parallel()
	if _, err := Money(math.MaxInt64 / 2).Times(3); err == nil {
		t.Fatal("Times overflow not reported")
	}
	if _, err := Money(math.MaxInt64 - 1).Plus(2); err == nil {
		t.Fatal("Plus overflow not reported")
	}
	if got := Money(9008).String(); got != "90.08" {
		t.Fatalf("String() = %q", got)
	}
	if got := Money(-5).String(); got != "-0.05" {
		t.Fatalf("String() = %q", got)
	}
}
