// arduino_blink.cpp -- test sketch for tests/cli/firmware.sh, built against
// Debian's arduino-core-avr (Uno): blink, read a pin, print over Serial.
#include <Arduino.h>

void setup()
{
    pinMode(13, OUTPUT);
    pinMode(2, INPUT_PULLUP);
    Serial.begin(9600);
}

void loop()
{
    digitalWrite(13, HIGH);
    delay(250);
    digitalWrite(13, LOW);
    delay(250);
    Serial.print("millis ");
    Serial.print(millis());
    Serial.print(" pin2 ");
    Serial.println(digitalRead(2));
}
