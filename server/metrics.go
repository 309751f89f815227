package server

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the HTTP layer's Prometheus series. Labels are bounded: the
// operation is named by its root fields, which the schema limits.
type metrics struct {
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	errors    *prometheus.CounterVec
	documents *prometheus.CounterVec
	http      *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shop_graphql_requests_total", Help: "GraphQL requests by operation (root fields) and outcome.",
		}, []string{"operation", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shop_graphql_request_duration_seconds",
			Help:    "Time to answer a GraphQL request, by operation.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shop_graphql_errors_total", Help: "GraphQL errors by extensions.code.",
		}, []string{"code"}),
		documents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shop_graphql_documents_total", Help: "Query documents served from the parsed-document cache (hit) or parsed and validated (miss).",
		}, []string{"result"}),
		http: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shop_http_responses_total", Help: "HTTP responses by route and status code.",
		}, []string{"route", "code"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.latency, m.errors, m.documents, m.http)
	}
	return m
}

// registerDocumentCache reports the parsed-document cache's size.
func registerDocumentCache(reg prometheus.Registerer, docs *documentCache) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "shop_graphql_document_cache_entries", Help: "Documents in the parsed-document cache.",
		}, func() float64 { n, _ := docs.size(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "shop_graphql_document_cache_bytes", Help: "Estimated memory held by the parsed-document cache (bounded by DOCUMENT_CACHE_BYTES).",
		}, func() float64 { _, b := docs.size(); return float64(b) }),
	)
}

func (m *metrics) observe(op string, start time.Time, errCodes []string) {
	outcome := "ok"
	if len(errCodes) > 0 {
		outcome = "error"
	}
	m.requests.WithLabelValues(op, outcome).Inc()
	m.latency.WithLabelValues(op).Observe(time.Since(start).Seconds())
	for _, c := range errCodes {
		m.errors.WithLabelValues(c).Inc()
	}
}

func metricsHandler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}
