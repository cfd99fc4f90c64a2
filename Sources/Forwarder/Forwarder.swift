// Forwarder
