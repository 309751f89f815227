package models

import "time"

// A stand-in for the rules branch's pricing.go (PriceCart and the codes'
// rules) until it is merged: carts build and are tested against it, and
// the merge deletes this file.

type PricingInput struct {
	Lines            []PricingLine
	Address          *Address
	Zones            []ShippingZone
	SelectedMethodID string
	TaxRates         []TaxRate
	PricesIncludeTax bool
	Code             *DiscountCode
	CodeUses         int
	Now              time.Time
}

func PriceCart(in PricingInput) Priced {
	var p Priced
	for _, l := range in.Lines {
		pl := PricedLine{LineID: l.LineID, VariantID: l.VariantID}
		if l.Sold {
			pl.Subtotal = l.UnitPrice * Money(l.Quantity)
			pl.Total = pl.Subtotal
		}
		p.Subtotal += pl.Subtotal
		p.Lines = append(p.Lines, pl)
	}
	if in.Address != nil {
		for _, z := range in.Zones {
			for _, c := range z.Countries {
				if c == in.Address.Country {
					for _, r := range z.Rates {
						p.Methods = append(p.Methods, ShippingMethod{ID: r.ID, Name: r.Name, Price: r.Price})
					}
				}
			}
		}
	}
	for _, m := range p.Methods {
		if m.ID == in.SelectedMethodID {
			m := m
			p.Selected = &m
			p.ShippingTotal = m.Price
		}
	}
	p.Total = p.Subtotal + p.ShippingTotal
	return p
}
