#!/usr/bin/perl
# What Mail::DMARC (Debian libmail-dmarc-perl, an independent RFC 7489 implementation) says about DMARC records,
# for tests/pester/DmarcCrossCheck.Tests.ps1. Arguments: the test DNS server's port, then any of
#   tag:<name>=<value>      whether Mail::DMARC accepts the tag value (its setters croak on invalid values)
#   from:<domain>           the record it discovers for an author domain: domain, p, sp
#   uri:<domain>:<uri>      after discovering <domain>, whether it may send reports to <uri> (RFC 7489 section 7.1)
# Prints one JSON object keyed by the arguments.
use strict;
use warnings;
use JSON::PP;
use Mail::DMARC::Policy;
use Mail::DMARC::PurePerl;
use Net::DNS::Resolver;

my $port = shift @ARGV or die "usage: MailDmarcCheck.pl <port> tag:... from:... uri:...\n";
my %out;
sub dmarc_for {
    my ($from) = @_;
    my $dmarc = Mail::DMARC::PurePerl->new;
    $dmarc->set_resolver(Net::DNS::Resolver->new(nameservers => ['127.0.0.1'], port => $port, udp_timeout => 2, tcp_timeout => 2));
    $dmarc->header_from($from);
    my $policy = eval { $dmarc->discover_policy };
    return ($dmarc, $policy);
}
for my $arg (@ARGV) {
    if ($arg =~ /^tag:(\w+)=(.*)$/) {
        my ($tag, $value) = ($1, $2);
        $out{$arg} = (eval { Mail::DMARC::Policy->new->$tag($value); 1 }) ? JSON::PP::true : JSON::PP::false;
    }
    elsif ($arg =~ /^from:(.+)$/) {
        my (undef, $policy) = dmarc_for($1);
        $out{$arg} = $policy ? { domain => $policy->domain, p => $policy->p, sp => $policy->sp } : undef;
    }
    elsif ($arg =~ /^uri:([^:]+):(.+)$/) {
        my ($dmarc, $policy) = dmarc_for($1);
        $out{$arg} = $policy && $dmarc->has_valid_reporting_uri($2) ? JSON::PP::true : JSON::PP::false;
    }
}
print JSON::PP->new->canonical->encode(\%out), "\n";
