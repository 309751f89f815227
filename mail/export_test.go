package mail

import "crypto/x509"

// TrustOnly makes s check servers' certificates against roots instead of
// the system's: the tests' throwaway CA.
func (s *SMTP) TrustOnly(roots *x509.CertPool) { s.tls.RootCAs = roots }
