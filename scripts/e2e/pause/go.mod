module k3-operator/e2e/pause

go 1.24
