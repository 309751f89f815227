package models

import "shop/errcode"

// Limits of shipping: the shippingZones query returns every zone with
// every rate, so both are bounded (and its cost with them).
const (
	MaxShippingZones = 100
	MaxZoneRates     = 20 // rates in one zone
)

// CheckRoom refuses one more of what when there are n already, and max is
// the most there may be.
func CheckRoom(what string, n, max int) error {
	if n >= max {
		return Errorf(errcode.Conflict, "There are %d %s, the most there may be.", n, what)
	}
	return nil
}

// ShippingZoneNotFound is the error for a zone id that names none.
func ShippingZoneNotFound(id string) error {
	return Errorf(errcode.NotFound, "Shipping zone %s does not exist.", id)
}

// UnknownShippingZone is createShippingRate's error for a zone that does
// not exist.
func UnknownShippingZone() error { return fieldError("zoneId", "names no shipping zone") }
