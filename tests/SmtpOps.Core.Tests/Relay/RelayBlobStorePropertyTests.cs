using System;
using System.Linq;
using Azure.Storage.Blobs;
using CsCheck;
using SmtpOps.Messages;
using SmtpOps.Relay;
using Xunit;

namespace SmtpOps.Tests.Relay;

/// <summary>
/// The relay's Storage names over many generated names (CsCheck: thousands of cases each, a failure shrunk with its seed):
/// every name an envelope may carry resolves, in the Storage SDK, to exactly that blob of the claim-check container; every
/// name the client writes is one the relay accepts; names that step out (<c>..</c>, absolute URLs, other ids, escapes) are
/// refused. And text echoed into logs is one line whatever it holds.
/// </summary>
public sealed class RelayBlobStorePropertyTests
{
    private const long Iterations = 4000;

    private static readonly BlobContainerClient Container = new(new Uri("http://127.0.0.1:10000/devstoreaccount1/mail-attachments"));

    // Pieces an attacker would put together: path steps, separators in every spelling, other containers, absolute URLs.
    private static readonly Gen<string> HostilePiece = Gen.OneOf(
        Gen.Const("../"), Gen.Const(".."), Gen.Const("."), Gen.Const("/"), Gen.Const("\\"), Gen.Const("%2F"), Gen.Const("%2e%2e"),
        Gen.Const("%252F"), Gen.Const("?"), Gen.Const("#"), Gen.Const("victim"), Gen.Const("azure-webjobs-secrets/"),
        Gen.Const("http://127.0.0.1:10000/devstoreaccount1/"), Gen.Const("//"), Gen.Const("failed/"), Gen.Const("envelope.json"),
        Gen.Const("0/"), Gen.Const("1/"), Gen.Const(" "), Gen.Const("\r\n"), Gen.Const("\u2028"), Gen.String[0, 6], Gen.Char.Select(c => c.ToString()));

    private static readonly Gen<string> EnvelopeId = Gen.Char["0123456789abcdef"].Array[32].Select(c => new string(c));

    // An envelope id and a name for its blob: the id's own folder (any index), another id's, or no folder, then hostile pieces.
    private static readonly Gen<(string Id, string Name)> IdAndCandidateName = Gen.Select(EnvelopeId, EnvelopeId, Gen.Int[0, 3], HostilePiece.Array[0, 8], Gen.Int[0, 2], (id, other, index, pieces, folder) =>
        (id, (folder switch { 0 => $"{id}/{index}/", 1 => $"{other}/{index}/", _ => string.Empty }) + string.Concat(pieces)));

    private static RelayEnvelope WithAttachmentBlob(string id, string name) => new()
    {
        Id = id,
        IdempotencyKey = "k",
        From = "a@contoso.test",
        To = new[] { "b@contoso.test" },
        Attachments = new[] { new RelayAttachment { FileName = "f", Blob = name } },
    };

    [Fact]
    public void EveryAcceptedAttachmentNameIsThatBlobOfTheContainer()
        => IdAndCandidateName.Sample(
            (id, name) =>
            {
                if (RelayBlobStore.ProblemWithNames(WithAttachmentBlob(id, name)) is not null)
                {
                    return true;
                }

                var blob = Container.GetBlobClient(name);
                return name.StartsWith($"{id}/0/", StringComparison.Ordinal) && blob.BlobContainerName == Container.Name && blob.Name == name;
            },
            iter: Iterations,
            print: t => $"id {t.Item1}, name '{t.Item2}'");

    [Fact]
    public void EveryAcceptedEnvelopeBlobIsThatEnvelopesOwnBlob()
        => IdAndCandidateName.Select(t => (t.Id, Name: t.Name.Replace("/0/", "/", StringComparison.Ordinal))).Sample(
            (id, name) => RelayBlobStore.ProblemWithNames(new RelayEnvelope { Id = id, IdempotencyKey = "k", EnvelopeBlob = name }) is not null || name == $"{id}/envelope.json",
            iter: Iterations,
            print: t => $"id {t.Item1}, name '{t.Item2}'");

    [Fact]
    public void EveryNameTheClientWritesIsAcceptedAndStaysInside()
        => Gen.Select(EnvelopeId, Gen.Int[0, 500], Gen.OneOf(Gen.String, HostilePiece.Array[0, 12].Select(string.Concat))).Sample(
            (id, index, fileName) =>
            {
                var name = RelayBlobStore.AttachmentBlobName(id, index, fileName);
                var envelope = new RelayEnvelope
                {
                    Id = id,
                    IdempotencyKey = "k",
                    From = "a@contoso.test",
                    To = new[] { "b@contoso.test" },
                    Attachments = Enumerable.Range(0, index + 1).Select(i => new RelayAttachment { FileName = "f", Content = i == index ? null : string.Empty, Blob = i == index ? name : null }).ToArray(),
                };
                var blob = Container.GetBlobClient(name);
                return RelayBlobStore.ProblemWithNames(envelope) is null && RelayBlobStore.IsFileSegment(RelayBlobStore.FileSegment(fileName))
                    && blob.BlobContainerName == Container.Name && blob.Name == name;
            },
            iter: Iterations,
            print: t => $"id {t.Item1}, index {t.Item2}, file '{t.Item3}'");

    [Fact]
    public void AnEnvelopeIdIsOnlyLettersDigitsDashAndUnderscore()
        => Gen.OneOf(EnvelopeId, Gen.String[0, 70], HostilePiece.Array[1, 4].Select(string.Concat)).Sample(
            id => !RelayBlobStore.IsEnvelopeId(id)
                || (id.Length <= RelayBlobStore.MaxEnvelopeIdLength && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') && id != "failed"),
            iter: Iterations,
            print: id => $"'{id}'");

    [Theory]
    [InlineData("../victim/secret.json")]
    [InlineData("0123456789abcdef0123456789abcdef/0/../../victim/secret.json")]
    [InlineData("0123456789abcdef0123456789abcdef/0/..")]
    [InlineData("0123456789abcdef0123456789abcdef/1/report.pdf")]
    [InlineData("ffffffffffffffffffffffffffffffff/0/report.pdf")]
    [InlineData("http://127.0.0.1:10000/devstoreaccount1/victim/secret.json")]
    [InlineData("0123456789abcdef0123456789abcdef/0/a\\..\\..\\victim")]
    [InlineData("0123456789abcdef0123456789abcdef/0/")]
    public void NamesThatStepOutOrBelongToAnotherEnvelopeAreRefused(string name)
        => Assert.NotNull(RelayBlobStore.ProblemWithNames(WithAttachmentBlob("0123456789abcdef0123456789abcdef", name)));

    [Theory]
    [InlineData("../../victim/pwned")]
    [InlineData("failed")]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("a.b")]
    public void IdsThatAreNoFolderOfTheirOwnAreRefused(string id)
    {
        Assert.False(RelayBlobStore.IsEnvelopeId(id));
        Assert.Throws<RelayEnvelopeException>(() => RelayBlobStore.DeadLetterCopyName(id));
    }

    [Fact]
    public void EscapedTextIsOneLineAndPlainTextIsUnchanged()
        => Gen.String.Sample(
            text =>
            {
                var escaped = SingleLineText.Escape(text)!;
                var plain = !text.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029');
                return !escaped.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029') && (!plain || escaped == text);
            },
            iter: Iterations,
            print: text => $"'{text}'");
}
