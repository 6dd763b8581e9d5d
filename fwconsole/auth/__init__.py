"""Sign-in for the console: domain accounts, roles from AD groups, throttling, audit."""
