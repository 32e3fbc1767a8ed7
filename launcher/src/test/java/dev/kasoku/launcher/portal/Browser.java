package dev.kasoku.launcher.portal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real headless Chromium (the Debian {@code chromium} and {@code chromium-driver} packages, which
 * {@code .ci/run} installs), driven through {@code /usr/bin/chromedriver} only: no Selenium Manager,
 * no download. A missing browser fails the test; it never skips. Each browser gets a fresh profile
 * directory, and every screenshot goes to {@code target/portal-screenshots/}.
 */
final class Browser implements AutoCloseable {
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path SCREENSHOTS = Path.of("target", "portal-screenshots");

  final ChromeDriver driver;
  final WebDriverWait wait;
  private final Path profile;
  private final String test;
  private int shots;

  Browser(String test, String language) throws IOException {
    assertThat(CHROMEDRIVER).as("chromedriver (apt-get install chromium chromium-driver)").isExecutable();
    assertThat(CHROMIUM).as("chromium (apt-get install chromium chromium-driver)").isExecutable();
    this.test = test;
    this.profile = Files.createTempDirectory("kasoku-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--no-first-run", "--disable-extensions", "--window-size=1360,1000",
        "--user-data-dir=" + profile.toAbsolutePath(), "--lang=" + language);
    options.setExperimentalOption("prefs", Map.of("intl.accept_languages", language));
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
    this.driver = new ChromeDriver(service, options);
    // a view re-renders what it shows: an element read while it is replaced is read again
    this.wait = new WebDriverWait(driver, Duration.ofSeconds(20));
    this.wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
    Files.createDirectories(SCREENSHOTS);
  }

  void open(String url) {
    driver.get(url);
  }

  WebElement waitFor(String css) {
    return wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(css)));
  }

  void waitForText(String css, String text) {
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(css), text));
  }

  WebElement find(String css) {
    return driver.findElement(By.cssSelector(css));
  }

  List<WebElement> all(String css) {
    return driver.findElements(By.cssSelector(css));
  }

  void type(String css, String text) {
    WebElement e = waitFor(css);
    e.clear();
    e.sendKeys(text);
  }

  void login(String tenant, String user, String password) {
    type("#login-tenant", tenant);
    type("#login-username", user);
    type("#login-password", password);
    find("#login-submit").click();
  }

  /** Saves a screenshot as target/portal-screenshots/{test}-{n}-{step}.png. */
  Path screenshot(String step) throws IOException {
    shots++;
    File png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
    Path to = SCREENSHOTS.resolve(String.format("%s-%02d-%s.png", test, shots, step));
    Files.copy(png.toPath(), to, StandardCopyOption.REPLACE_EXISTING);
    return to;
  }

  /** The browser console since the last call (CSP violations are reported there). */
  List<String> console() {
    return driver.manage().logs().get(LogType.BROWSER).getAll().stream().map(LogEntry::getMessage).toList();
  }

  Object script(String js, Object... args) {
    return driver.executeScript(js, args);
  }

  Object asyncScript(String js, Object... args) {
    return driver.executeAsyncScript(js, args);
  }

  @Override
  public void close() throws IOException {
    try {
      driver.quit();
    } finally {
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
