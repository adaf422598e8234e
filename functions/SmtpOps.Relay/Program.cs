using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using SmtpOps.Relay.Hosting;

// The isolated worker (FunctionsApplication applies ConfigureFunctionsWorkerDefaults). Configuration
// comes from app settings (Relay__Smarthost__Host, ..., RelayStorage); the relay's services come
// from SmtpOps.Relay.Hosting, the same registration the local WebJobs host uses.
var builder = FunctionsApplication.CreateBuilder(args);
builder.Services.AddSmtpRelay(builder.Configuration);
builder.Build().Run();
