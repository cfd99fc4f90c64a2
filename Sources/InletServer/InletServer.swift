// InletServer
