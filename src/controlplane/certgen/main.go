// certgen writes the certificates and keys of the local control plane. It is built into the
// cache with the machine's Go, like the binaries it serves: Go is needed anyway, and its
// crypto/x509 behaves the same everywhere (unlike the openssl/LibreSSL command lines).
//
//	certgen init <dir>                  CA, apiserver serving cert, admin client cert, SA key pair
//	certgen client <dir> <cn> [group…]  a client cert signed by <dir>/ca.*, as JSON on stdout
//	certgen version                     proves the cached binary runs
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

type keyPair struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "certgen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 1 && args[0] == "version":
		fmt.Println("certgen")
		return nil
	case len(args) == 2 && args[0] == "init":
		return initPKI(args[1])
	case len(args) >= 3 && args[0] == "client":
		ca, err := loadCA(args[1])
		if err != nil {
			return err
		}
		certPEM, keyPEM, err := sign(ca, template(pkix.Name{CommonName: args[2], Organization: args[3:]}, clientUsage))
		if err != nil {
			return err
		}
		return json.NewEncoder(os.Stdout).Encode(map[string]string{"cert": string(certPEM), "key": string(keyPEM)})
	default:
		return fmt.Errorf("usage: certgen init <dir> | certgen client <dir> <cn> [group...] | certgen version")
	}
}

func initPKI(dir string) error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTemplate := template(pkix.Name{CommonName: "k3-operator-local-ca"}, 0)
	caTemplate.IsCA = true
	caTemplate.BasicConstraintsValid = true
	caTemplate.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	caTemplate.NotAfter = time.Now().AddDate(10, 0, 0)
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, caKey.Public(), caKey)
	if err != nil {
		return err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	ca := keyPair{caCert, caKey}
	if err := writePair(dir, "ca", pemBlock("CERTIFICATE", caDER), mustPKCS8(caKey)); err != nil {
		return err
	}

	serving := template(pkix.Name{CommonName: "kube-apiserver"}, x509.ExtKeyUsageServerAuth)
	serving.DNSNames = []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"}
	serving.IPAddresses = []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1"), net.ParseIP("10.0.0.1")}
	if err := signTo(dir, "apiserver", ca, serving); err != nil {
		return err
	}
	admin := template(pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}}, clientUsage)
	if err := signTo(dir, "admin", ca, admin); err != nil {
		return err
	}

	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	saPub, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return err
	}
	return writePair(dir, "sa", pemBlock("PUBLIC KEY", saPub), mustPKCS8(saKey))
}

const clientUsage = x509.ExtKeyUsageClientAuth

func template(subject pkix.Name, usage x509.ExtKeyUsage) *x509.Certificate {
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	t := &x509.Certificate{
		SerialNumber: serial,
		Subject:      subject,
		NotBefore:    time.Now().Add(-time.Hour), // tolerate small clock differences
		NotAfter:     time.Now().AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if usage != 0 {
		t.ExtKeyUsage = []x509.ExtKeyUsage{usage}
	}
	return t
}

func sign(ca keyPair, t *x509.Certificate) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, t, ca.cert, key.Public(), ca.key)
	if err != nil {
		return nil, nil, err
	}
	return pemBlock("CERTIFICATE", der), mustPKCS8(key), nil
}

func signTo(dir, name string, ca keyPair, t *x509.Certificate) error {
	certPEM, keyPEM, err := sign(ca, t)
	if err != nil {
		return err
	}
	return writePair(dir, name, certPEM, keyPEM)
}

func loadCA(dir string) (keyPair, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		return keyPair{}, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, "ca.key"))
	if err != nil {
		return keyPair{}, err
	}
	certBlock, _ := pem.Decode(certPEM)
	keyBlock, _ := pem.Decode(keyPEM)
	if certBlock == nil || keyBlock == nil {
		return keyPair{}, fmt.Errorf("no PEM data in %s/ca.crt or ca.key", dir)
	}
	cert, err := x509.ParseCertificate(certBlock.Bytes)
	if err != nil {
		return keyPair{}, err
	}
	key, err := x509.ParsePKCS8PrivateKey(keyBlock.Bytes)
	if err != nil {
		return keyPair{}, err
	}
	ecKey, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return keyPair{}, fmt.Errorf("CA key in %s is not ECDSA", dir)
	}
	return keyPair{cert, ecKey}, nil
}

// writePair writes <name>.crt (or .pub) and <name>.key; keys are readable by the owner only.
func writePair(dir, name string, public, private []byte) error {
	ext := ".crt"
	if name == "sa" {
		ext = ".pub"
	}
	if err := os.WriteFile(filepath.Join(dir, name+ext), public, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+".key"), private, 0o600)
}

func mustPKCS8(key crypto.Signer) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic(err) // only fails for unsupported key types, and we only make ECDSA keys
	}
	return pemBlock("PRIVATE KEY", der)
}

func pemBlock(kind string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
}
