// The vSphere simulator Lifeboat's tests talk to: govmomi's simulator (Debian golang-github-vmware-govmomi-dev)
// on 127.0.0.1, built by test/helpers/vcsim.ts with GOPATH=/usr/share/gocode GO111MODULE=off.
// It prints one JSON line (URL, datastore folder, certificate) once it listens, and removes its temporary
// datastore folders on SIGINT/SIGTERM.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"flag"
	"log"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	user := flag.String("user", "lifeboat", "user name the simulator accepts")
	password := flag.String("password", "s3cret-pass", "password the simulator accepts")
	useTLS := flag.Bool("tls", false, "serve HTTPS with a fresh self-signed certificate")
	clusters := flag.Int("clusters", 1, "clusters per datacenter")
	clusterHosts := flag.Int("cluster-hosts", 2, "hosts per cluster")
	hosts := flag.Int("hosts", 0, "standalone hosts per datacenter")
	machines := flag.Int("vms", 3, "VMs per host / cluster resource pool")
	flag.Parse()
	log.SetOutput(os.Stderr)

	m := simulator.VPX()
	m.Cluster = *clusters
	m.ClusterHost = *clusterHosts
	m.Host = *hosts
	m.Machine = *machines
	m.Autostart = true
	if err := m.Create(); err != nil {
		log.Fatal(err)
	}
	m.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*user, *password)}
	thumbprint := ""
	if *useTLS {
		cert, sum := selfSigned()
		m.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		thumbprint = sum
	}
	server := m.Service.NewServer()

	datastore := ""
	if ds, ok := simulator.Map.Any("Datastore").(*simulator.Datastore); ok {
		datastore = ds.Info.GetDatastoreInfo().Url
	}
	u := *server.URL
	u.User = nil
	_ = json.NewEncoder(os.Stdout).Encode(map[string]string{"url": u.String(), "datastore": datastore, "thumbprint": thumbprint})

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	<-signals
	server.Close()
	m.Remove()
}

// selfSigned makes a certificate no one has seen before, so each start is a "new host certificate".
func selfSigned() (tls.Certificate, string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	template := x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "vcsim.lifeboat.test", Organization: []string{"Lifeboat test"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, &template, &template, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, hex.EncodeToString(sum[:])
}
