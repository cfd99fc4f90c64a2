// InletAuth
