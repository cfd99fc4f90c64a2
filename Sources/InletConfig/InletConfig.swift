// InletConfig
