"""The lab: real simulated network devices (netconfd, snmpd/snmpsim, SSH CLI) on loopback."""
