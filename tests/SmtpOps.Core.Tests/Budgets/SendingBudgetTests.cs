using System;
using System.Linq;
using SmtpOps.Budgets;
using Xunit;

namespace SmtpOps.Tests.Budgets;

public sealed class SendingBudgetTests
{
    [Fact]
    public void EachRouteHasItsDocumentedLimits()
    {
        Assert.Equal("ExchangeOnline: 30 messages per minute, 10000 recipients per day, 3 concurrent", SendingBudget.ForRoute("exchangeonline").ToString());
        Assert.Equal("Graph: 10000 messages per 00:10:00, 10000 recipients per day, 4 concurrent", SendingBudget.ForRoute("Graph").ToString());
        Assert.Equal("Acs: 30 messages per minute, 100 messages per hour", SendingBudget.ForRoute("Acs").ToString());
        Assert.Same(SendingBudget.Acs, SendingBudget.ForRoute("AzureCommunicationServices"));
        Assert.True(SendingBudget.ForRoute("Smtp").IsUnlimited);
        Assert.Contains("ExchangeOnline, Graph, Acs", Assert.Throws<ArgumentException>(() => SendingBudget.ForRoute("Gmail")).Message);
    }

    [Theory]
    [InlineData("smtp.office365.com", "ExchangeOnline")]
    [InlineData("SMTP.Office365.com.", "ExchangeOnline")]
    [InlineData("smtp-mail.outlook.com", "ExchangeOnline")]
    [InlineData("relay.contoso.test", "Smarthost")]
    [InlineData("office365.com.evil.test", "Smarthost")]
    public void ASmarthostsBudgetFollowsItsHostName(string host, string budget) => Assert.Equal(budget, SendingBudget.ForSmarthost(host).Name);

    [Fact]
    public void WithReplacesAndRemovesLimits()
    {
        var budget = SendingBudget.ExchangeOnline.With(messagesPerMinute: 10, recipientsPerDay: 0, messagesPerHour: 200, concurrentSends: 1);

        Assert.Equal("ExchangeOnline: 10 messages per minute, 200 messages per hour, 1 concurrent", budget.ToString());
        Assert.Equal(10, budget.MessagesPerMinute);
        Assert.Null(budget.RecipientsPerDay);
        Assert.Equal("ExchangeOnline: 30 messages per minute, 10000 recipients per day, 3 concurrent", SendingBudget.ExchangeOnline.ToString());
    }

    [Theory]
    [InlineData("30 messages per minute", "30 messages per minute")]
    [InlineData("100 Messages / hour", "100 messages per hour")]
    [InlineData("10000 recipients per day", "10000 recipients per day")]
    [InlineData("10000 messages per 10 minutes", "10000 messages per 00:10:00")]
    [InlineData("4 messages per 00:00:05", "4 messages per 00:00:05")]
    [InlineData("1 recipient per 2 seconds", "1 recipients per 00:00:02")]
    public void LimitsReadAsOperatorsWriteThem(string text, string expected)
    {
        var limit = BudgetLimit.Parse(text);
        Assert.Equal(expected, limit.ToString());
        Assert.Equal(limit, BudgetLimit.Parse(limit.ToString()));
    }

    [Theory]
    [InlineData("30 per minute")]
    [InlineData("0 messages per minute")]
    [InlineData("5 messages per 00:00:00.01")]
    [InlineData("many messages per hour")]
    public void MalformedLimitsAreRefused(string text) => Assert.Throws<FormatException>(() => BudgetLimit.Parse(text));

    [Fact]
    public void TheUsualLimitsAreFoundByName()
    {
        var budget = SendingBudget.Acs;
        Assert.Equal(30, budget.MessagesPerMinute);
        Assert.Equal(100, budget.MessagesPerHour);
        Assert.Null(budget.RecipientsPerDay);
        Assert.Equal(2, budget.Limits.Count(l => l.Measure == BudgetMeasure.Messages));
    }
}
