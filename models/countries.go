package models

import (
	"regexp"
	"strings"
)

// countryCodes is ISO 3166-1 alpha-2: the 249 officially assigned codes.
const countryCodes = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
	"NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
	"UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"

// regionCodes are the subdivisions (ISO 3166-2, without the country's
// prefix) of the countries where an address must name one: US states,
// the District of Columbia and the territories with their own postal
// codes; Canadian provinces and territories; Australian states and
// territories.
var regionCodes = map[string]string{
	"US": "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI UM AA AE AP",
	"CA": "AB BC MB NB NL NS NT NU ON PE QC SK YT",
	"AU": "ACT NSW NT QLD SA TAS VIC WA",
}

// postalPatterns are the postal code formats checked, after trimming and
// uppercasing; other countries' codes are taken as written (at most 20
// characters).
var postalPatterns = map[string]*regexp.Regexp{
	"US": regexp.MustCompile(`^\d{5}(-\d{4})?$`),
	"CA": regexp.MustCompile(`^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d$`),
	"GB": regexp.MustCompile(`^([A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|GIR ?0AA)$`),
	"DE": regexp.MustCompile(`^\d{5}$`),
	"FR": regexp.MustCompile(`^\d{5}$`),
	"NL": regexp.MustCompile(`^\d{4} ?[A-Z]{2}$`),
	"AU": regexp.MustCompile(`^\d{4}$`),
}

var (
	countrySet = map[string]bool{}
	regionSets = map[string]map[string]bool{}
)

func init() {
	for _, c := range strings.Fields(countryCodes) {
		countrySet[c] = true
	}
	for c, list := range regionCodes {
		regionSets[c] = map[string]bool{}
		for _, r := range strings.Fields(list) {
			regionSets[c][r] = true
		}
	}
}

// IsCountry reports whether code is an ISO 3166-1 alpha-2 code
// (uppercase).
func IsCountry(code string) bool { return countrySet[code] }

// HasRegions reports whether an address in country must name a region.
func HasRegions(country string) bool { return regionSets[country] != nil }

// IsRegion reports whether region (uppercase, without the country's
// prefix: "CA", "QC", "NSW") is one of country's.
func IsRegion(country, region string) bool { return regionSets[country][region] }

// PostalCodeOK reports whether code (trimmed, uppercase) fits country's
// pattern, where shop knows one.
func PostalCodeOK(country, code string) bool {
	re, ok := postalPatterns[country]
	return !ok || re.MatchString(code)
}

// HasPostalPattern reports whether shop checks country's postal codes.
func HasPostalPattern(country string) bool { return postalPatterns[country] != nil }
