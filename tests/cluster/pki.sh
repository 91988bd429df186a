# Certificates, keys and kubeconfigs of the local test cluster; sourced by cluster.sh.
# They live in $TPX_PKI and are made once: the admin kubeconfig keeps working across
# "down" and "up".

# cert NAME CN [O] [SAN]: a key and a certificate signed by the cluster CA.
cert() {
  local name="$1" cn="$2" org="${3:-}" san="${4:-}"
  [[ -e "$TPX_PKI/$name.crt" ]] && return
  local subj="/CN=$cn"; [[ -n "$org" ]] && subj="/O=$org$subj"
  local ca="${CA_NAME:-ca}"
  openssl genrsa -out "$TPX_PKI/$name.key" 2048 2>/dev/null
  openssl req -new -key "$TPX_PKI/$name.key" -subj "$subj" -out "$TPX_PKI/$name.csr"
  local ext="$TPX_PKI/$name.ext"
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=${EKU:-clientAuth}"
    [[ -n "$san" ]] && echo "subjectAltName=$san"
  } > "$ext"
  openssl x509 -req -in "$TPX_PKI/$name.csr" -CA "$TPX_PKI/$ca.crt" -CAkey "$TPX_PKI/$ca.key" \
    -CAcreateserial -days 3650 -sha256 -extfile "$ext" -out "$TPX_PKI/$name.crt" 2>/dev/null
  rm -f "$TPX_PKI/$name.csr" "$ext"
}

# ca NAME CN: a self-signed certificate authority.
ca() {
  [[ -e "$TPX_PKI/$1.crt" ]] && return
  openssl genrsa -out "$TPX_PKI/$1.key" 2048 2>/dev/null
  openssl req -x509 -new -key "$TPX_PKI/$1.key" -subj "/CN=$2" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$TPX_PKI/$1.crt"
}

# kubeconfig FILE CERTNAME: a kubeconfig that authenticates with the client certificate.
kubeconfig() {
  local file="$1" user="$2"
  cat > "$file.tmp" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: tpx
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: $(base64 -w0 < "$TPX_PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 < "$TPX_PKI/$user.crt")
    client-key-data: $(base64 -w0 < "$TPX_PKI/$user.key")
contexts:
- name: tpx
  context: {cluster: tpx, user: $user}
current-context: tpx
KUBECONFIG
  mv "$file.tmp" "$file"
}

make_pki() {
  mkdir -p "$TPX_PKI"
  chmod 700 "$TPX_PKI"
  ca ca tpx-cluster-ca
  ca front-proxy-ca tpx-front-proxy-ca
  EKU=serverAuth cert apiserver kube-apiserver "" \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:$NODE_IP,IP:$KUBERNETES_SERVICE_IP"
  EKU=serverAuth cert kubelet-serving "system:node:$NODE_NAME" system:nodes \
    "DNS:$NODE_NAME,DNS:localhost,IP:127.0.0.1,IP:$NODE_IP"
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
  cert admin kubernetes-admin system:masters
  cert controller-manager system:kube-controller-manager
  cert scheduler system:kube-scheduler
  cert kube-proxy system:kube-proxy
  cert kubelet "system:node:$NODE_NAME" system:nodes
  CA_NAME=front-proxy-ca cert front-proxy-client front-proxy-client
  if [[ ! -e "$TPX_PKI/sa.key" ]]; then
    openssl genrsa -out "$TPX_PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$TPX_PKI/sa.key" -pubout -out "$TPX_PKI/sa.pub" 2>/dev/null
  fi
  for user in controller-manager scheduler kube-proxy kubelet; do
    [[ -e "$TPX_PKI/$user.kubeconfig" ]] || kubeconfig "$TPX_PKI/$user.kubeconfig" "$user"
  done
  [[ -e "$TPX_KUBECONFIG" ]] || kubeconfig "$TPX_KUBECONFIG" admin
  chmod 600 "$TPX_PKI"/*.key "$TPX_PKI"/*.kubeconfig "$TPX_KUBECONFIG"
}
